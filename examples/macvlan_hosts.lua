-- Three hosts with macvlan interfaces (mode bridge) on one shared parent,
-- lan:eth0, whose other end is the gateway: the hosts reach each other
-- through the parent's macvlan bridge and the gateway through the wire.
--
--   h1 10.0.5.11 ┐
--   h2 10.0.5.12 ├─ macvlan on lan:eth0 ──── gw:eth0 10.0.5.1
--   h3 10.0.5.13 ┘
--
--   lua5.4 examples/macvlan_hosts.lua up | reach | down
-- from a checkout, find its lua/ and vnet/core.so (an installed vnet, or LUA_PATH
-- and LUA_CPATH, come first)
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"
local topo = require "vnet.topology"

local net = topo.new{ name = "macvlan" }
local lan, gw = net:host("lan"), net:host("gw")
net:link(lan, gw, { gw = "10.0.5.1/24" })           -- the parent: lan:eth0
for i = 1, 3 do
  -- ip link add link eth0 name eth0 type macvlan mode bridge (then moved into h<i>)
  net:iface(net:host("h" .. i), "eth0", { kind = "macvlan", mode = "bridge",
                                          parent = { lan, "eth0" },
                                          ip = ("10.0.5.%d/24"):format(10 + i) })
end

return net:main(arg)
