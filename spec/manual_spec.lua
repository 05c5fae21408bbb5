-- The reference manual (config.ld, `make doc`) shows only examples that run:
-- every `@usage` block of a doc comment in the files it reads is run here as
-- a script, in a world of its own (H.world), and must succeed; every example
-- file it lists is one that examples_spec or topology_examples_spec runs,
-- and it lists all of them.
local H = require "spec.helper"

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local config = {}
do
  local chunk = loadstring and loadstring(slurp("config.ld"))
                or load(slurp("config.ld"), "config.ld", "t", config)
  if setfenv then setfenv(chunk, config) end
  chunk()
end

-- the files the manual is made from
local function sources()
  local out = {}
  for _, f in ipairs(config.file) do
    local _, list = H.sh("find " .. H.quote(f) .. " -name '*.lua' -o -name '*.c' | sort")
    for p in list:gmatch("[^\n]+") do out[#out + 1] = p end
  end
  return out
end

-- the @usage blocks of a file: { line =, code = }
local function usages(path)
  local out, cur = {}, nil
  local n = 0
  for line in (slurp(path) .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    local text = line:match("^%s*%-%-+ ?(.*)$") or line:match("^%s*%*+/?%s?(.*)$")
    if cur and (not text or text:match("^%s*@%a") or line:match("%*/%s*$")) then
      out[#out + 1] = cur
      cur = nil
    end
    if text and text:match("^%s*@usage%s*$") then
      cur = { line = n, code = {} }
    elseif cur then
      cur.code[#cur.code + 1] = text
    end
  end
  if cur then out[#out + 1] = cur end
  return out
end

describe("the manual", function()
  local blocks = {}
  for _, f in ipairs(sources()) do
    for _, u in ipairs(usages(f)) do
      blocks[#blocks + 1] = { where = f .. ":" .. u.line, code = table.concat(u.code, "\n") }
    end
  end

  it("has examples (@usage blocks) to run", function()
    assert.is_true(#blocks > 0)
  end)

  for _, b in ipairs(blocks) do
    it("runs the example at " .. b.where, function()
      local file = os.tmpname()
      local f = assert(io.open(file, "w"))
      f:write(b.code, "\n")
      f:close()
      local r = H.world({ H.lua_cmd() .. " " .. H.quote(file), "ip netns list" })
      os.remove(file)
      assert.are.equal(0, r[1].code, b.code .. "\n--\n" .. r[1].out .. r[1].err)
      assert.are.equal("", r[2].out, "namespaces left behind")
    end)
  end

  it("lists every example script, each run by a spec", function()
    local specs = slurp("spec/examples_spec.lua") .. slurp("spec/topology_examples_spec.lua")
                  .. slurp("spec/impair_examples_spec.lua")
    local listed = {}
    for _, e in ipairs(config.examples) do
      local name = e:match("^examples/([%w_]+)%.lua$")
      assert.is_string(name, e)
      assert.truthy(specs:find('{ "' .. name .. '",', 1, true), e .. " is run by no spec")
      listed[e] = true
    end
    local _, out = H.sh("ls examples/*.lua")
    for e in out:gmatch("[^\n]+") do
      assert.is_true(listed[e] or e == "examples/vnet_example.lua", e .. " is not in config.ld")
    end
  end)
end)
