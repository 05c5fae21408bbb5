-- GRE: two sites, each a LAN host behind a router, joined by a keyed GRE
-- tunnel between the routers, as the seed does with
--
--   ip link add gre1 type gre remote 198.51.100.2 local 192.0.2.1 key 42 ttl 64
--   ip addr add 172.16.0.1/30 dev gre1; ip link set gre1 up
--   ip route add 10.2.0.0/24 via 172.16.0.2
--   sysctl -w net.ipv4.ip_forward=1
--
-- Four scratch namespaces: vnet-gre-hosta - vnet-gre-ra ==(gre over a veth)==
-- vnet-gre-rb - vnet-gre-hostb. Host A pings host B across both routers.
--
--   lua5.4 examples/gre.lua
-- from a checkout, find its lua/ and vnet/core.so (an installed vnet, or LUA_PATH
-- and LUA_CPATH, come first)
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua;"
  .. here .. "/examples/?.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"

local PREFIX = "vnet-gre-"
local step, netns, run_example = require "vnet_example" (PREFIX)

local function run()
  local ra, rb = netns("ra"), netns("rb")
  step("the internet: veth wan (ra) <-> wan (rb)",
       ra:link_add{ name = "wan", kind = "veth", up = true,
                    peer = { name = "wan", netns = rb } })
  local sites = {
    { r = ra, host = netns("hosta"), who = "ra", me = "192.0.2.1", peer = "198.51.100.2",
      inner = "172.16.0.1/30", via = "172.16.0.2", lan = "10.1.0", far = "10.2.0.0/24" },
    { r = rb, host = netns("hostb"), who = "rb", me = "198.51.100.2", peer = "192.0.2.1",
      inner = "172.16.0.2/30", via = "172.16.0.1", lan = "10.2.0", far = "10.1.0.0/24" },
  }
  for _, s in ipairs(sites) do
    local r, w = s.r, s.who .. ": "
    local wan = r:link("wan")
    step(w .. "ip addr add " .. s.me .. "/32 dev wan", wan:addr_add(s.me .. "/32"))
    step(w .. "ip link set wan up", wan:set{ up = true })
    step(w .. "ip route add " .. s.peer .. "/32 dev wan",
         r:route_add{ dst = s.peer .. "/32", dev = "wan" })
    -- the LAN: a cable to the site's host
    local lan = step(w .. "veth lan (router) <-> eth0 (host)",
                     r:link_add{ name = "lan", kind = "veth", up = true,
                                 peer = { name = "eth0", netns = s.host } })
    step(w .. "ip addr add " .. s.lan .. ".1/24 dev lan", lan:addr_add(s.lan .. ".1/24"))
    local eth0 = s.host:link("eth0")
    step("host: ip addr add " .. s.lan .. ".10/24 dev eth0", eth0:addr_add(s.lan .. ".10/24"))
    step("host: ip link set eth0 up", eth0:set{ up = true })
    step("host: ip route add default via " .. s.lan .. ".1",
         s.host:route_add{ dst = "default", gateway = s.lan .. ".1" })
    -- the tunnel
    local g = step(("%sip link add gre1 type gre remote %s local %s key 42 ttl 64")
                   :format(w, s.peer, s.me),
                   r:link_add{ name = "gre1", kind = "gre", remote = s.peer, ["local"] = s.me,
                               key = 42, ttl = 64 })
    step(w .. "ip addr add " .. s.inner .. " dev gre1", g:addr_add(s.inner))
    step(w .. "ip link set gre1 up", g:set{ up = true })
    step(w .. "ip route add " .. s.far .. " via " .. s.via,
         r:route_add{ dst = s.far, gateway = s.via })
    step(w .. "sysctl -w net.ipv4.ip_forward=1", r:sysctl("net.ipv4.ip_forward", 1))
    print(("  %s's gre1: %s -> %s, key %d, ttl %d"):format(s.who, g.info["local"],
          g.info.remote, g.info.key, g.info.ttl))
  end
  for l in ra:links{ kind = "gre" } do print("  ra's gre links: " .. tostring(l)) end

  print("hosta: ping 10.2.0.10 (hostb, across both routers and the tunnel)")
  local ok, out = sites[1].host:exec{ "ping", "-c", "3", "-W", "2", "10.2.0.10" }
  io.write(out)
  if not ok then error("ping across the GRE tunnel failed", 0) end
  print("hostb: traceroute-like check: ping 10.1.0.10 with ttl 3 (two router hops)")
  ok, out = sites[2].host:exec{ "ping", "-c", "1", "-W", "2", "-t", "3", "10.1.0.10" }
  io.write(out)
  if not ok then error("ping back across the GRE tunnel failed", 0) end
  local st = ra:link("gre1").stats
  print(("  ra's gre1 carried %d packets out and %d in"):format(st.tx_packets, st.rx_packets))
  if st.tx_packets == 0 or st.rx_packets == 0 then error("no traffic on gre1", 0) end
end

run_example("gre", run, "the two sites reached each other through the GRE tunnel,"
      .. " and everything is removed")
