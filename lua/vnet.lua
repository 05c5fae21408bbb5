--- vnet: Linux virtual networks from Lua.
-- The facade: the C core's objects plus small Lua conveniences.
local core = require "vnet.core"

local M = {
  netns = core.netns,
  errno = core.errno,
  version = core.version,
  ip = core.ip,
  core = core,
}

-- Link kinds ----------------------------------------------------------------

-- What a probe link of each kind needs besides a name ("parent" gets a veth).
local probe_opts = {
  vlan = { parent = true, id = 1 }, macvlan = { parent = true },
  macvtap = { parent = true }, ipvlan = { parent = true },
  ipvtap = { parent = true }, macsec = { parent = true },
  vxlan = { id = 1, dstport = 4789 }, geneve = { id = 1, remote = "192.0.2.1" },
  vrf = { table = 4242 },
  erspan = { key = 1, remote = "192.0.2.1", ["local"] = "192.0.2.2" },
  ip6erspan = { key = 1, remote = "2001:db8::1", ["local"] = "2001:db8::2" },
}
local probed = {}

--- vnet.supports(kind) -> true | false, reason
-- Whether the running kernel can make links of this kind: one is made (and
-- thrown away) in a scratch namespace of its own that nothing lists (it
-- vanishes with its handle). The answer is remembered.
function M.supports(kind)
  if type(kind) ~= "string" then
    error("supports: kind must be a string, got " .. type(kind), 2)
  end
  if probed[kind] then return probed[kind][1], probed[kind][2] end
  local known = false
  for _, k in ipairs(core.kinds()) do known = known or k == kind end
  if not known then return false, "vnet has no link kind '" .. kind .. "'" end
  -- an unnamed namespace: it vanishes with its handle, even if this
  -- process dies in the middle of the probe
  local ns, err = core.netns.new()
  if not ns then return false, "supports: no scratch namespace: " .. tostring(err) end
  local opts = { name = "probe0", kind = kind }
  for k, v in pairs(probe_opts[kind] or {}) do opts[k] = v end
  local ok, l, msg = pcall(function()
    if opts.parent then
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
-- The tunnel modes of `ip tunnel` and every tunnel link kind; the other
-- options are those of ns:link_add for that kind.
local tunnel_modes = {
  ipip = { "ipip" }, sit = { "sit" }, isatap = { "sit", isatap = true },
  ip6tnl = { "ip6tnl" }, ip6ip6 = { "ip6tnl", proto = "ip6ip6" },
  ipip6 = { "ip6tnl", proto = "ipip6" },
  gre = { "gre" }, gretap = { "gretap" }, ip6gre = { "ip6gre" },
  ip6gretap = { "ip6gretap" }, erspan = { "erspan" }, ip6erspan = { "ip6erspan" },
  vti = { "vti" }, vti6 = { "vti6" },
}

local netns_mt = debug.getregistry()["vnet.netns"]

local function tunnel_add(self, opts)
  if getmetatable(self) ~= netns_mt then
    error("tunnel_add: bad self (vnet.netns expected, got " .. type(self) .. ")", 2)
  end
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
  local t = { kind = m[1] }
  for k, v in pairs(m) do
    if k ~= 1 then
      if opts[k] ~= nil and opts[k] ~= v then
        error(("tunnel_add: option '%s' does not go with mode '%s'"):format(k, mode), 2)
      end
      t[k] = v
    end
  end
  for k, v in pairs(opts) do
    if k ~= "mode" then t[k] = v end
  end
  local ok, l, msg, errname = pcall(self.link_add, self, t)
  if not ok then error((tostring(l):gsub("^link_add", "tunnel_add")), 2) end
  if not l then return nil, (msg:gsub("^link_add", "tunnel_add")), errname end
  return l
end

netns_mt.__vn_methods.tunnel_add = tunnel_add

return M
