-- One switch stretched over two machines: hosts a1, a2 on machine A and
-- b1, b2 on machine B, all on switch "lan" (10.70.0.0/24). The switch is a
-- bridge on each machine; the two are joined by VXLAN over the machines'
-- underlay (VNI from the lab's name, a remote per other machine, MTU 1450
-- on the hosts' cables for the 50 bytes VXLAN adds).
--
--   lua5.4 examples/wan_switch.lua up [--machine A]    (on each machine)
--   lua5.4 examples/wan_switch.lua check [--machine A] (its hosts to all)
--   lua5.4 examples/wan_switch.lua down [--machine A]
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"
local topo = require "vnet.topology"

local net = topo.new{ name = "wanlan" }
local A = net:machine("A", { underlay = os.getenv("VNET_UNDERLAY_A") or "192.168.9.125" })
local B = net:machine("B", { underlay = os.getenv("VNET_UNDERLAY_B") or "192.168.9.183" })
local lan = net:switch("lan", { machine = A, subnet = "10.70.0.0/24" })
for _, h in ipairs({ net:host("a1", { machine = A }), net:host("a2", { machine = A }),
                     net:host("b1", { machine = B }), net:host("b2", { machine = B }) }) do
  net:link(h, lan)
end
return net:main(arg, {
  check = function(n)
    local ok = n:reach()
    if not ok then return nil, "check: some pairs do not reach" end
    return true
  end,
})
