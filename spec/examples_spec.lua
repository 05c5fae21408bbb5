-- Every example of a link kind runs (with the build under test), proves its
-- traffic flows, and leaves nothing behind: no namespace of its own and no
-- change to the caller's links. Examples of kinds the running kernel lacks
-- are pending here and failures in the full-kernel VM tier.
local H = require "spec.helper"

-- example, the namespace prefix it uses, the kinds it needs
local examples = {
  { "vlan", "vnet-vlan-", { "vlan" } },
  { "vxlan", "vnet-vxlan-", { "vxlan" } },
  { "macvlan", "vnet-macvlan-", { "macvlan" } },
  { "ipvlan", "vnet-ipvlan-", { "ipvlan" } },
  { "tap_bridge", "vnet-tap-", { "tun", "bridge" } },
  { "ipip", "vnet-ipip-", { "ipip", "dummy" } },
  { "gre", "vnet-gre-", { "gre" } },
}

local probe_args = { vlan = "link P type vlan id 5", macvlan = "link P type macvlan",
                     ipvlan = "link P type ipvlan", vxlan = "type vxlan id 5 dstport 4789" }
local probed = {}
-- Like H.kernel_has, with an exit status that LuaJIT's io.popen keeps.
local function has_kind(k)
  if k == "tun" then
    local f = io.open("/dev/net/tun")
    if f then f:close() end
    return f ~= nil, "no /dev/net/tun"
  end
  if probed[k] == nil then
    local ns = H.prefix .. "exprobe"
    H.sh("ip netns add " .. ns)
    H.sh("ip -n " .. ns .. " link add P type veth peer name P1")
    local _, out = H.sh("(ip -n " .. ns .. " link add X " .. (probe_args[k] or ("type " .. k))
                        .. " && echo probe-ok)")
    H.sh("ip netns delete " .. ns)
    probed[k] = { out:find("probe-ok", 1, true) ~= nil,
                  "the running kernel has no '" .. k .. "' links: " .. (out:gsub("%s+$", "")) }
  end
  return probed[k][1], probed[k][2]
end

local function it_kinds(kinds, desc, fn)
  for _, k in ipairs(kinds) do
    local ok, why = has_kind(k)
    if not ok then
      if H.full_kernel then
        return it(desc, function() error("full-kernel tier: " .. why) end)
      end
      return pending(desc .. " [" .. why .. "]")
    end
  end
  return it(desc, fn)
end

-- the interpreter running this spec, for the examples too
local lua = jit and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))

local function host_links()
  local t = {}
  for _, l in ipairs(H.ip(nil, "link", "show")) do t[#t + 1] = l.ifname end
  table.sort(t)
  return t
end

local function own_namespaces(prefix)
  local _, out = H.sh("ip netns list")
  local t = {}
  for name in out:gmatch("(%S+)[^\n]*") do
    if name:sub(1, #prefix) == prefix then t[#t + 1] = name end
  end
  return t
end

describe("examples", function()
  for _, e in ipairs(examples) do
    local name, prefix, kinds = e[1], e[2], e[3]
    it_kinds(kinds, "examples/" .. name .. ".lua brings its network up, proves traffic "
                    .. "flows and removes everything", function()
      local before = host_links()
      -- vnet.core is loaded from the build under test before the example
      -- points package.cpath at the checkout
      local cmd = ("LUA_CPATH=%s LUA_CPATH_5_4=%s %s -e %s examples/%s.lua; echo \"exit=$?\"")
                  :format(H.quote(package.cpath), H.quote(package.cpath), lua,
                          H.quote('require "vnet.core"'), name)
      local _, out = H.sh(cmd)
      assert.truthy(out:find("\nexit=0\n*$"), out)
      assert.truthy(out:find("\ndone: ", 1, true), out)
      assert.are.same({}, own_namespaces(prefix))
      assert.are.same(before, host_links())
    end)
  end
end)
