--- Shared helpers for the specs: scratch namespaces that are always removed,
-- iproute2's JSON output as the independent oracle, and kernel feature probes.
--
--   local H = require "spec.helper"
--   local ns, name = H.ns("link")        -- a fresh namespace, removed by H.cleanup()
--   local links = H.ip(name, "link", "show")   -- `ip -j -n NAME link show` as Lua
--   teardown(H.cleanup)  (or after_each)
local json = require "dkjson"
local busted = require "busted"
local vnet = require "vnet"

local H = { vnet = vnet }

local function pid()
  local f = assert(io.open("/proc/self/stat"))
  local s = f:read("*l")
  f:close()
  return s:match("^(%d+)")
end

--- The pid of this Lua process.
H.pid = tonumber(pid())

-- Every scratch namespace carries this prefix; cleanup removes all of them.
H.prefix = "vnt" .. H.pid .. "-"
local made = {}
local counter = 0

--- Quotes s for /bin/sh.
function H.quote(s)
  s = tostring(s)
  if s:match("^[%w@%%+=:,./-]+$") then return s end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

--- The shell words that run a Lua script the way this suite runs: the same
-- interpreter (lua5.4, luajit, or the AddressSanitizer host of `make test`)
-- with the same module paths, e.g. H.lua_cmd() .. " examples/x.lua up".
function H.lua_cmd()
  local interp = arg and arg[-1] or "lua5.4"
  return ("LUA_PATH=%s LUA_CPATH=%s %s"):format(H.quote(package.path),
    H.quote(package.cpath), H.quote(interp))
end

--- Runs a shell command; returns ok, stdout+stderr. (The status is echoed
-- because Lua 5.1's popen:close() does not report it.)
function H.sh(cmd)
  local p = assert(io.popen("{ " .. cmd .. "\n} 2>&1; echo \"vnet-rc=$?\""))
  local out = p:read("*a")
  p:close()
  local rc = tonumber(out:match("vnet%-rc=(%d+)%s*$"))
  out = out:gsub("vnet%-rc=%d+%s*$", "")
  return rc == 0, out, rc
end

--- Runs `ip -j [-d] [-n ns] args...` and decodes its JSON. Raises on failure.
-- args may be strings or one table; pass ns = nil for the caller's namespace.
function H.ip(ns, ...)
  local args = { ... }
  if type(args[1]) == "table" then args = args[1] end
  local q = {}
  for i, a in ipairs(args) do q[i] = H.quote(a) end
  local cmd = "ip -j -d " .. (ns and ("-n " .. H.quote(ns) .. " ") or "") .. table.concat(q, " ")
  local ok, out = H.sh(cmd)
  if not ok then error("`" .. cmd .. "` failed: " .. out, 2) end
  if out:match("^%s*$") then return {} end
  local v, _, err = json.decode(out, 1, json.null)
  if err then error("`" .. cmd .. "`: bad JSON: " .. err .. "\n" .. out, 2) end
  return v
end

--- Runs `ip [-n ns] args...` (not JSON) and raises on failure: for making
-- objects with iproute2 that vnet's readers are then checked against.
function H.ipdo(ns, ...)
  local q = {}
  for i, a in ipairs({ ... }) do q[i] = H.quote(a) end
  local cmd = "ip " .. (ns and ("-n " .. H.quote(ns) .. " ") or "") .. table.concat(q, " ")
  local ok, out = H.sh(cmd)
  if not ok then error("`" .. cmd .. "` failed: " .. out, 2) end
  return out
end

--- The link named name in ns as `ip -j -d link show` sees it, or nil.
function H.iplink(ns, name)
  for _, l in ipairs(H.ip(ns, "link", "show")) do
    if l.ifname == name then return l end
  end
end

--- A fresh named namespace (made with vnet) whose name starts with H.prefix.
-- Returns the handle and its name.
function H.ns(tag)
  counter = counter + 1
  local name = H.prefix .. (tag or "ns") .. counter
  local ns = assert(vnet.netns.add(name))
  made[#made + 1] = name
  return ns, name
end

--- A unique name with the scratch prefix, not yet created.
function H.name(tag)
  counter = counter + 1
  local name = H.prefix .. (tag or "x") .. counter
  made[#made + 1] = name
  return name
end

--- Removes every namespace this process made (by prefix, so ones made by
-- `ip` in a test are removed too). Safe to call many times.
function H.cleanup()
  collectgarbage()
  local ok, out = H.sh("ip netns list")
  if ok then
    for name in out:gmatch("([^%s]+)[^\n]*\n?") do
      if name:sub(1, #H.prefix) == H.prefix then
        os.execute("ip netns delete " .. H.quote(name) .. " >/dev/null 2>&1")
      end
    end
  end
  made = {}
end

--- Whether the running kernel can make a link of this kind; the probe runs in
-- a throwaway namespace. Returns true, or false and the reason.
local probed = {}
local probe_args = {
  vlan = "link P type vlan id 5", macvlan = "link P type macvlan",
  macvtap = "link P type macvtap", ipvlan = "link P type ipvlan",
  macsec = "link P type macsec", vxlan = "type vxlan id 5 dstport 4789",
  geneve = "type geneve id 5 remote 10.0.0.1", vrf = "type vrf table 10",
  erspan = "type erspan seq key 1 erspan_ver 1 erspan 1 local 10.0.0.1 remote 10.0.0.2",
}
function H.kernel_has(kind)
  if probed[kind] ~= nil then return probed[kind][1], probed[kind][2] end
  local name = H.prefix .. "probe"
  os.execute("ip netns add " .. name .. " >/dev/null 2>&1")
  local args = probe_args[kind] or ("type " .. kind)
  local parent = args:find("link P") and true
  if parent then
    os.execute("ip -n " .. name .. " link add P type veth peer name P1 >/dev/null 2>&1")
  end
  local ok, out = H.sh("ip -n " .. name .. " link add X " .. args)
  os.execute("ip netns delete " .. name .. " >/dev/null 2>&1")
  local why
  if not ok then
    why = "the running kernel has no '" .. kind .. "' links: " .. out:gsub("%s+$", "")
  end
  probed[kind] = { ok, why }
  return probed[kind][1], probed[kind][2]
end

--- True when the suite runs in the full-kernel VM tier, where every kind must
-- exist (a missing one is a failure, not a pending test).
H.full_kernel = os.getenv("VNET_FULL_KERNEL") == "1"

--- it() for a test that needs link kinds: on a kernel without one of them it
-- is marked pending with the reason (outside the VM tier) or fails (in it).
function H.it_kinds(kinds, desc, fn)
  if type(kinds) == "string" then kinds = { kinds } end
  for _, k in ipairs(kinds) do
    local ok, why = H.kernel_has(k)
    if not ok then
      if H.full_kernel then
        return busted.it(desc, function() error("full-kernel tier: " .. why) end)
      end
      return busted.pending(desc .. " [" .. why .. "]")
    end
  end
  return busted.it(desc, fn)
end

--- Asserts that a call returned the failure triple with errname.
function H.fails(errname, ok, msg, name)
  assert(ok == nil, "expected a failure, got " .. tostring(ok))
  assert(type(msg) == "string" and #msg > 0, "expected a message")
  assert(name == errname, "expected " .. errname .. ", got " .. tostring(name) .. ": " .. tostring(msg))
  return msg
end

--- Asserts that fn raises an error whose message contains every fragment.
function H.raises(fn, ...)
  local ok, err = pcall(fn)
  assert(not ok, "expected an error")
  err = tostring(err)
  for _, frag in ipairs({ ... }) do
    assert(err:find(frag, 1, true), "error '" .. err .. "' does not mention '" .. frag .. "'")
  end
  return err
end

return H
