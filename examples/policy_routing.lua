-- Policy routing with `ip rule` and two routing tables: the gateway sends
-- h1's traffic to isp1 (table 100) and h2's to isp2 (table 200).
--
--   h1 10.0.0.10 ┐                    ┌─ isp1 10.1.0.2 ─┐
--                ├─ lan ── gw ────────┤                 ├── server 203.0.113.1
--   h2 10.0.0.20 ┘    10.0.0.1        └─ isp2 10.2.0.2 ─┘
--
--   lua5.4 examples/policy_routing.lua up | check | down
-- from a checkout, find its lua/ and vnet/core.so (an installed vnet, or LUA_PATH
-- and LUA_CPATH, come first)
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"
local topo = require "vnet.topology"

local net = topo.new{ name = "policy" }
local h1, h2 = net:host("h1"), net:host("h2")
local gw, isp1, isp2 = net:router("gw"), net:router("isp1"), net:router("isp2")
local server = net:host("server")
local lan = net:switch("lan", { subnet = "10.0.0.0/24" })

net:link(gw, lan, { gw = "10.0.0.1/24" })                               -- gw:eth0
net:link(h1, lan, { h1 = "10.0.0.10/24" })
net:link(h2, lan, { h2 = "10.0.0.20/24" })
net:link(gw, isp1, { gw = "10.1.0.1/24", isp1 = "10.1.0.2/24" })        -- gw:eth1
net:link(gw, isp2, { gw = "10.2.0.1/24", isp2 = "10.2.0.2/24" })        -- gw:eth2
net:link(isp1, server, { isp1 = "10.11.0.1/24", server = "10.11.0.2/24" })
net:link(isp2, server, { isp2 = "10.12.0.1/24", server = "10.12.0.2/24" })
net:address(server, "lo", "203.0.113.1/32")

net:route(h1, "default", gw)
net:route(h2, "default", gw)
-- ip route add default via 10.1.0.2 table 100; ... table 200
net:route(gw, "default", isp1, { table = 100 })
net:route(gw, "default", isp2, { table = 200 })
-- ip rule add from 10.0.0.10 table 100 priority 1000; ... 10.0.0.20 table 200
net:rule(gw, { from = "10.0.0.10/32", table = 100, priority = 1000 })
net:rule(gw, { from = "10.0.0.20/32", table = 200, priority = 1001 })
for _, isp in ipairs({ isp1, isp2 }) do
  net:route(isp, "203.0.113.1/32", server)
  net:route(isp, "10.0.0.0/24", gw)
end
net:route(server, "default", isp1)
net:route(server, "10.0.0.20/32", isp2)

-- The router a packet meets second: a ping with TTL 2 expires there, and the
-- "Time to live exceeded" comes from that router's address.
local function second_hop(n, from, dst)
  local _, out = n:exec(from, { "ping", "-n", "-c", "1", "-W", "1", "-t", "2", dst }, { capture = true })
  return (out or ""):match("From (%S+)")
end

return net:main(arg, {
  check = function(n)
    for _, c in ipairs({ { h1, "10.1.0.2", "isp1" }, { h2, "10.2.0.2", "isp2" } }) do
      local ok, out = n:ping(c[1], "203.0.113.1")
      if not ok then return nil, c[1].name .. " cannot reach the server: " .. out end
      local hop = second_hop(n, c[1], "203.0.113.1")
      print(("%s -> server: ok, through %s (%s)"):format(c[1].name, c[3], tostring(hop)))
      if hop ~= c[2] then return nil, ("%s's traffic went through %s, not %s"):format(c[1].name, tostring(hop), c[3]) end
    end
    return true
  end,
})
