--- What this build of vnet and the running kernel support.
--
-- `vnet.features()` (also `vnet.core.features` once `vnet` is loaded)
-- answers in one table what a script may want to check before it builds a
-- network: vnet's version, the Lua it runs on, the libnl it was built with,
-- and for every link kind, qdisc, filter and action this build can write
-- whether the running kernel makes one (probed as `vnet.supports` does: one
-- is made and thrown away in an unnamed scratch namespace; each answer is
-- remembered), and the monitor groups `ns:monitor` can join.
--
-- It composes what the core lists (`vnet.core.kinds()`, and
-- `vnet.core.tc_kinds()` in builds with traffic control) with
-- `vnet.supports`, so a kind a later build adds shows up without a change
-- here.
-- @module vnet.features

local core = require "vnet.core"

--- The monitor groups a monitor with no names joins, in a scratch namespace.
local function monitor_groups()
  local ns = core.netns.new()
  if not ns then return {} end
  local ok, mon = pcall(ns.monitor, ns, {})
  local groups = {}
  if ok and mon then
    for i, g in ipairs(mon.groups) do groups[i] = g end
    mon:close()
  end
  ns:close()
  return groups
end

--- Which of `names` the kernel supports: `{ [name] = true | false }`.
local function probe(supports, names, prefix)
  local t = {}
  for _, k in ipairs(names) do
    t[k] = (supports(prefix .. k)) == true
  end
  return t
end

--- What this build and the running kernel support: `vnet.features()`.
-- Probing the kinds makes a link (or qdisc...) of each in an unnamed scratch
-- namespace the first time; later calls answer from what was remembered.
-- Needs the rights vnet needs (CAP_NET_ADMIN, CAP_SYS_ADMIN): without them
-- every kind reads false.
-- @function vnet.features
-- @treturn table with the fields:
--
--  * `version`: vnet's version, `"X.Y.Z"` (as `vnet.version`)
--  * `lua`: the interpreter, `_VERSION` or LuaJIT's `jit.version`
--  * `libnl`: the libnl version vnet was built with (`"3.7.0"`)
--  * `kinds`: `{ [link kind] = true | false }`, every link kind of
--    `vnet.core.kinds()`: whether the kernel makes it
--  * `qdiscs`, `filters`, `actions`: the same for traffic control (empty in
--    a build without it)
--  * `monitor`: the list of monitor group names (`ns:monitor{ ... }`)
-- @usage
-- local vnet = require "vnet"
-- local f = vnet.features()
-- print(("vnet %s on %s, libnl %s"):format(f.version, f.lua, f.libnl))
-- assert(f.kinds.veth and f.kinds.bridge)
-- if not f.kinds.vxlan then print("no vxlan here") end
local function features()
  local supports = require("vnet").supports
  local t = {
    version = core.version,
    lua = rawget(_G, "jit") and _G.jit.version or _VERSION,
    libnl = core.libnl,
    kinds = probe(supports, core.kinds(), ""),
    qdiscs = {}, filters = {}, actions = {},
    monitor = monitor_groups(),
  }
  if core.tc_kinds then
    local tc = core.tc_kinds()
    for what, list in pairs(tc) do
      if t[what .. "s"] then t[what .. "s"] = probe(supports, list, what .. ":") end
    end
  end
  return t
end

return features
