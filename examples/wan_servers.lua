-- The seed's ServerA/ServerB scenario on two real machines: an IPIP tunnel
-- between ServerA (192.168.9.125) and ServerB (192.168.9.183), a route on A
-- to the subnet behind B, MASQUERADE on B for A's tunnel address, and
-- ip_forward on B. Behind B, a host "srv" (a namespace) plays 192.168.33.0/24.
--
--   ServerA 192.168.9.125 ═══ tunl666 172.31.2.1 ── 172.31.2.2 ═══ ServerB 192.168.9.183
--                                                                    │ lan0 192.168.33.1
--                                                                   srv 192.168.33.2
--
-- On each machine (the same script; the machine is found by its underlay
-- address, or given):
--   lua5.4 examples/wan_servers.lua up [--machine A]
--   lua5.4 examples/wan_servers.lua check        # across the tunnel, from here
--   lua5.4 examples/wan_servers.lua down
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"
local topo = require "vnet.topology"

local net = topo.new{ name = "wan" }
local A = net:machine("A", { underlay = os.getenv("VNET_UNDERLAY_A") or "192.168.9.125" })
local B = net:machine("B", { underlay = os.getenv("VNET_UNDERLAY_B") or "192.168.9.183" })
local srv = net:host("srv", { machine = B })
net:link(B, srv, { B = { "192.168.33.1/24", name = "lan0" }, srv = "192.168.33.2/24" })

-- ip tunnel add tunl666 mode ipip remote 192.168.9.183 local 192.168.9.125
-- ifconfig tunl666 172.31.2.1 netmask 255.255.255.0 (and the same on B)
net:tunnel(A, B, { mode = "ipip", A = { "172.31.2.1/24", name = "tunl666" },
                   B = { "172.31.2.2/24", name = "tunl666" } })
-- route add -net 192.168.33.0/24 gw 172.31.2.2
net:route(A, "192.168.33.0/24", "172.31.2.2")
-- iptables -t nat -A POSTROUTING -s 172.31.2.1 -d 192.168.33.0/24 -j MASQUERADE
net:nat(B, { out = "lan0", src = "172.31.2.1/32" })
-- sysctl -w net.ipv4.ip_forward=1
net:sysctl(B, "net.ipv4.ip_forward", 1)

return net:main(arg, {
  -- check: from this machine, the far side's addresses through the tunnel
  check = function(n)
    local ok, out
    if n.slice == A then ok, out = n:ping(A, "192.168.33.2")
    else ok, out = n:ping(srv, "192.168.33.1") and n:ping(B, "172.31.2.1") end
    if not ok then return nil, "check: " .. tostring(out) end
    print("check " .. n.name .. " on " .. n.slice.name .. ": ok")
    return true
  end,
})
