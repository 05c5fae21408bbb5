-- A VXLAN overlay between two hosts: VNI 42 over UDP 4789 on a veth underlay.
--
--   h1 ── underlay 172.16.0.1 ─── 172.16.0.2 ── h2
--    └──── vxlan-h2 192.168.100.1 ═══ 192.168.100.2 vxlan-h1 ────┘
--
--   lua5.4 examples/vxlan_overlay.lua up | check | down
-- from a checkout, find its lua/ and vnet/core.so (an installed vnet, or LUA_PATH
-- and LUA_CPATH, come first)
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"
local topo = require "vnet.topology"

local net = topo.new{ name = "vxlan-overlay" }
local h1, h2 = net:host("h1"), net:host("h2")
net:link(h1, h2, { h1 = "172.16.0.1/24", h2 = "172.16.0.2/24" })     -- the underlay
-- ip link add vxlan-h2 type vxlan id 42 dstport 4789 local 172.16.0.1 remote 172.16.0.2
net:tunnel(h1, h2, { mode = "vxlan", id = 42, dstport = 4789,
                     h1 = "192.168.100.1/24", h2 = "192.168.100.2/24" })

return net:main(arg, {
  check = function(n)
    local before = assert(n:ns(h1):link("vxlan-h2")).stats.tx_packets
    for _, p in ipairs({ { h1, "192.168.100.2" }, { h2, "192.168.100.1" } }) do
      local ok, out = n:ping(p[1], p[2])
      print(("%s -> %s over the overlay: %s"):format(p[1].name, p[2], ok and "ok" or "FAILED"))
      if not ok then return nil, out end
    end
    local sent = assert(n:ns(h1):link("vxlan-h2")).stats.tx_packets - before
    if sent < 1 then return nil, "nothing went through vxlan-h2" end
    return true
  end,
})
