-- One request path (csrc/sock.c's vn_req) and errors returned to the caller
-- (a vn_err on its stack, pushed by vn_push_err), never carried on the
-- namespace handle: no C file sends another way or reads an error back from
-- the handle.

local H = require "spec.helper"
local function slurp(path) return assert(H.slurp(path)) end

local function sources()
  local p = assert(io.popen("ls csrc/*.c csrc/*.h"))
  local files = {}
  for line in p:lines() do files[#files + 1] = line end
  p:close()
  return files
end

-- #host_only (a source check): nothing here needs what the host kernel lacks; the VM tier
-- (software emulation, where a process start costs ~100x) leaves them out.
describe("the request path #host_only", function()
  it("is vn_req alone: none of the send functions it replaced is left", function()
    local files = sources()
    assert.is_true(#files > 20)
    local old = { "vn_talk", "vn_talk_hdr", "vn_talk_raw", "vn_send", "vn_request",
                  "vn_dump", "vn_dump_req", "vn_nsfail" }
    for _, file in ipairs(files) do
      local src = slurp(file)
      for _, name in ipairs(old) do
        assert.is_nil(src:find("%f[%w_]" .. name .. "%f[^%w_]"), file .. ": " .. name)
      end
      assert.is_nil(src:find("ns%->err%f[^%w_]"), file .. ": ns->err")
      assert.is_nil(src:find("ns%->msg%f[^%w_]"), file .. ": ns->msg")
    end
  end)

  it("keeps no error on the handle (vn_ns has no err or msg field)", function()
    local ns = slurp("csrc/sock.h"):match("typedef struct vn_ns {(.-)} vn_ns;")
    assert.is_string(ns)
    assert.is_nil(ns:find("%f[%w_]err%s*;"))
    assert.is_nil(ns:find("%f[%w_]msg%s*%["))
  end)
end)
