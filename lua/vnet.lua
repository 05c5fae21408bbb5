--- vnet: Linux virtual networks from Lua.
-- The facade: the C core's objects plus small Lua conveniences.
-- @module vnet

--- The fields of the module (besides its functions).
-- @table vnet
-- @field netns the namespace functions and handle type, `vnet.core.netns`:
--   `vnet.netns.open`, `new`, `add`, `current`, `list`, `delete`...
-- @field errno errno names and numbers both ways (`errno.EEXIST == 17`,
--   `errno[17] == "EEXIST"`), as failures name them
-- @field version vnet's version, `"X.Y.Z"` (the release's; as
--   `vnet.core.version`)
-- @field core the C module, `vnet.core`
-- @field features `vnet.features()`: what this build and the running kernel
--   support (the module `vnet.features`)
local core = require "vnet.core"

local M = {
  netns = core.netns,
  errno = core.errno,
  version = core.version,
  poll = core.poll,
  ip = core.ip,
  core = core,
}

-- vnet.features() (lua/vnet/features.lua): what this build and the running
-- kernel support; also vnet.core.features
M.features = require "vnet.features"
core.features = M.features

-- Link kinds ----------------------------------------------------------------

local probed = {}

-- What a probe qdisc, filter or action of each kind needs.
local tc_probe = {
  qdisc = { tbf = { rate = "1mbit", burst = "10kb", latency = "10ms" } },
  filter = { flower = { protocol = "ip" } },
  action = { mirred = { kind = "mirred", dev = "probe2" }, gact = "pass",
             skbedit = { kind = "skbedit", mark = 1 } },
}

-- Probes "qdisc:K", "filter:K" or "action:K" (what, k) on a veth of ns.
local function tc_supports(ns, what, k)
  local l = assert(ns:link_add{ name = "probe1", kind = "veth", peer = "probe2" })
  if what == "qdisc" then
    local opts = { kind = k }
    for o, v in pairs(tc_probe.qdisc[k] or {}) do opts[o] = v end
    return l:qdisc_add(opts)
  end
  assert(l:qdisc_add{ kind = "ingress" })
  if what == "filter" then
    local opts = { kind = k, parent = "ingress", prio = 1 }
    for o, v in pairs(tc_probe.filter[k] or {}) do opts[o] = v end
    return l:filter_add(opts)
  end
  return l:filter_add{ kind = "u32", parent = "ingress", prio = 1, action = tc_probe.action[k] }
end

--- vnet.supports(kind) -> true | false, reason
-- Whether the running kernel can make links of this kind, or tc objects of
-- "qdisc:netem", "filter:u32", "action:mirred"...: one is made (and thrown
-- away) in a scratch namespace of its own that nothing lists (it vanishes
-- with its handle). The answer is remembered.
function M.supports(kind)
  if type(kind) ~= "string" then
    error("supports: kind must be a string, got " .. type(kind), 2)
  end
  if kind:find("\0", 1, true) then
    error("supports: kind may not contain a NUL byte", 2)
  end
  if probed[kind] then return probed[kind][1], probed[kind][2] end
  local what, k = kind:match("^(%a+):(.+)$")
  if what then
    local list = core.tc_kinds()[what]
    if not list then
      return false, "vnet has no '" .. what .. "' kinds (qdisc:, filter:, action:)"
    end
    local known = false
    for _, name in ipairs(list) do known = known or name == k end
    if not known then return false, "vnet has no " .. what .. " kind '" .. k .. "'" end
    local ns, err = core.netns.new()
    if not ns then return false, "supports: no scratch namespace: " .. tostring(err) end
    local ok, r, msg = pcall(tc_supports, ns, what, k)
    ns:close()
    if not ok then return false, tostring(r) end
    probed[kind] = { r ~= nil, r == nil and ("the running kernel has no " .. what .. " '"
                                            .. k .. "': " .. tostring(msg)) or nil }
    return probed[kind][1], probed[kind][2]
  end
  -- the core's row of the kind: whether it needs a parent, and the options
  -- a minimal link of it takes
  local row = core.kind(kind)
  if not row then return false, "vnet has no link kind '" .. kind .. "'" end
  -- an unnamed namespace: it vanishes with its handle, even if this
  -- process dies in the middle of the probe
  local ns, err = core.netns.new()
  if not ns then return false, "supports: no scratch namespace: " .. tostring(err) end
  local opts = { name = "probe0", kind = kind }
  for k, v in pairs(row.probe) do opts[k] = v end
  local ok, l, msg = pcall(function()
    if row.parent then
      assert(ns:link_add{ name = "probe1", kind = "veth", peer = "probe2" })
      opts.parent = "probe1"
    end
    return ns:link_add(opts)
  end)
  ns:close()
  if not ok then return false, tostring(l) end
  probed[kind] = { l ~= nil, l == nil and ("the running kernel cannot make " .. kind
                                         .. " links: " .. tostring(msg)) or nil }
  return probed[kind][1], probed[kind][2]
end

-- ns:tunnel_add{ mode = ..., name =, remote =, local =, ttl =, key =, ... }
-- The tunnel modes of `ip tunnel` (the core's table: the kind each makes
-- and the options it fixes); the other options are those of ns:link_add
-- for that kind. Added to vnet.netns with the core's hook, vnet.core.extend,
-- which checks self as the core's own methods do.
local tunnel_modes = core.tunnel_modes()

--- Adds a tunnel link with the modes of `ip tunnel` (`mode =`, and the
-- options of the kind it makes: `name =, remote =, local =, ttl =, key =`).
-- A method of every namespace handle (`vnet.netns`).
-- @function ns:tunnel_add
-- @tparam table opts `mode` (`"ipip"`, `"sit"`, `"isatap"`, `"ip6tnl"`,
--   `"ip6ip6"`, `"ipip6"`, `"gre"`, `"gretap"`, `"ip6gre"`, `"ip6gretap"`,
--   `"erspan"`, `"ip6erspan"`, `"vti"`, `"vti6"`) and the options of
--   `ns:link_add` for the kind the mode makes (`kind` itself is refused)
-- @return the new `vnet.link`, or `nil, message, errname`
-- @raise on a mode that is not one of those, an option that does not go
--   with the mode, and whatever `ns:link_add` raises, naming `tunnel_add`
local function tunnel_add(self, opts)
  if type(opts) ~= "table" then
    error("tunnel_add: options must be a table, got " .. type(opts), 2)
  end
  local mode = opts.mode
  local m = tunnel_modes[mode]
  if not m then
    local names = {}
    for k in pairs(tunnel_modes) do names[#names + 1] = "'" .. k .. "'" end
    table.sort(names)
    local got = type(mode) == "string" and "'" .. mode .. "'" or type(mode)
    error(("tunnel_add: option 'mode' must be one of %s, got %s"):format(
      table.concat(names, ", "), got), 2)
  end
  if opts.kind ~= nil then error("tunnel_add: unknown option 'kind' (use 'mode')", 2) end
  local t = {}
  for k, v in pairs(m) do
    if k ~= "kind" then
      if opts[k] ~= nil and opts[k] ~= v then
        error(("tunnel_add: option '%s' does not go with mode '%s'"):format(k, mode), 2)
      end
    end
    t[k] = v
  end
  for k, v in pairs(opts) do
    if k ~= "mode" then t[k] = v end
  end
  local ok, l, msg, errname = pcall(self.link_add, self, t)
  if not ok then error((tostring(l):gsub("^link_add", "tunnel_add")), 2) end
  if not l then return nil, (msg:gsub("^link_add", "tunnel_add")), errname end
  return l
end

core.extend("netns", "tunnel_add", tunnel_add)

-- Impairment (lua/vnet/impair.lua): link:impair{ delay =, loss =, rate =, ... },
-- link:impair(false), link:impairment()
local impair = require "vnet.impair"
core.extend("link", "impair", impair.impair)
core.extend("link", "impairment", impair.impairment)
M.impair = impair

return M
