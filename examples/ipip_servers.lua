-- The seed's ServerA/ServerB scenario: two sites joined by an IPIP tunnel
-- across an "internet" router, a route to the remote subnet through the
-- tunnel, ip_forward on, and MASQUERADE for traffic to the internet.
--
--   pcA 10.1.0.2 ── serverA ═══ ipip 10.255.0.1-.2 ═══ serverB ── pcB 10.2.0.2
--                   192.0.2.1 ── internet ── 198.51.100.1
--                                   │
--                            web 203.0.113.10
--
--   lua5.4 examples/ipip_servers.lua up | check | reach | down
-- from a checkout, find its lua/ and vnet/core.so (an installed vnet, or LUA_PATH
-- and LUA_CPATH, come first)
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"
local topo = require "vnet.topology"

-- the tunnel's mode: ipip, or what a script running this one asks for
-- (examples/gre_servers.lua runs it with { mode = "gre" })
local opts = type((...)) == "table" and (...) or {}
local MODE = opts.mode or "ipip"

local net = topo.new{ name = MODE .. "-servers" }
local A, B = net:router("serverA"), net:router("serverB")
local inet = net:router("internet")
local pcA, pcB = net:host("pcA"), net:host("pcB")
local web = net:host("web")

net:link(A, inet, { serverA = "192.0.2.1/24", internet = "192.0.2.254/24" })        -- A:eth0
net:link(B, inet, { serverB = "198.51.100.1/24", internet = "198.51.100.254/24" })  -- B:eth0
net:link(web, inet, { web = "203.0.113.10/24", internet = "203.0.113.1/24" })
net:link(pcA, A, { pcA = "10.1.0.2/24", serverA = "10.1.0.1/24" })                 -- A:eth1
net:link(pcB, B, { pcB = "10.2.0.2/24", serverB = "10.2.0.1/24" })                 -- B:eth1

-- ip tunnel add a2b mode ipip (or gre) local 192.0.2.1 remote 198.51.100.1 ttl 255
net:tunnel(A, B, { mode = MODE, ttl = 255,
                   serverA = { "10.255.0.1/30", name = "a2b" },
                   serverB = { "10.255.0.2/30", name = "b2a" },
                   via = { serverA = "192.0.2.1", serverB = "198.51.100.1" } })

net:route(A, "default", inet)
net:route(B, "default", inet)
net:route(A, "10.2.0.0/24", "10.255.0.2")        -- the remote subnet, through the tunnel
net:route(B, "10.1.0.0/24", "10.255.0.1")
net:route(pcA, "default", A)
net:route(pcB, "default", B)
net:route(web, "default", inet)
-- iptables -t nat -A POSTROUTING -s 10.1.0.0/24 -o eth0 -j MASQUERADE
net:nat(A, { out = "eth0", src = "10.1.0.0/24" })
net:nat(B, { out = "eth0", src = "10.2.0.0/24" })


return net:main(arg, {
  -- pcA and pcB talk through the tunnel; both reach the web through NAT
  check = function(n)
    local function counter(node, dev)
      return assert(n:ns(node):link(dev)).stats.tx_packets
    end
    local before = counter(A, "a2b")
    for _, p in ipairs({ { pcA, pcB }, { pcB, pcA }, { pcA, web }, { pcB, web } }) do
      local ok, out = n:ping(p[1], p[2])
      print(("%s -> %s: %s"):format(p[1].name, p[2].name, ok and "ok" or "FAILED"))
      if not ok then return nil, out end
    end
    local sent = counter(A, "a2b") - before
    print(("packets serverA sent into the %s tunnel: %d"):format(MODE, sent))
    if sent < 1 then return nil, "pcA -> pcB did not go through the tunnel" end
    return true
  end,
})
