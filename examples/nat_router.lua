-- Two subnets and a router that masquerades: the topology API in one page.
--
--      a (10.0.1.2) ── sw ── r ── b (10.0.2.2)
--                    (10.0.1.1)  (10.0.2.1, NAT out eth1)
--
--   lua5.4 examples/nat_router.lua up | reach | status | dot | down
--   lua5.4 examples/nat_router.lua exec a ping -c1 10.0.2.2
--   lua5.4 examples/nat_router.lua dot | dot -Tpng > lab1.png
-- from a checkout, find its lua/ and vnet/core.so (an installed vnet, or LUA_PATH
-- and LUA_CPATH, come first)
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"
local topo = require "vnet.topology"

local net = topo.new{ name = "lab1" }
local a, b = net:host("a"), net:host("b")
local r = net:router("r")                        -- a host with forwarding on
local sw = net:switch("sw")                      -- a bridge
net:link(a, sw, { a = "10.0.1.2/24" })           -- a:eth0 -- sw:swp1
net:link(r, sw, { r = "10.0.1.1/24" })           -- r:eth0 -- sw:swp2
net:link(r, b, { r = "10.0.2.1/24", b = "10.0.2.2/24" })   -- r:eth1 -- b:eth0
net:route(a, "default", r)                       -- via r's address on a's subnet
net:nat(r, { out = "eth1" })                     -- masquerade, with nftables in r

-- b has no route back to 10.0.1.0/24: a reaches b only through the NAT
return net:main(arg, {
  check = function(n)
    local ok, out = n:ping(a, b)
    io.write(out)
    if not ok then return nil, "a cannot reach b through the NAT" end
    return true
  end,
})
