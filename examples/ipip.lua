-- IP-in-IP: the seed's ServerA/ServerB tunnel, with routes to each other's
-- subnet through it,
--
--   ServerA# ip tunnel add a2b mode ipip remote 2.2.2.2 local 1.1.1.1 ttl 255
--   ServerA# ip link set a2b up
--   ServerA# ip route add 10.2.0.0/24 dev a2b
--   ServerB# ip tunnel add b2a mode ipip remote 1.1.1.1 local 2.2.2.2 ttl 255
--   ServerB# ip link set b2a up
--   ServerB# ip route add 10.1.0.0/24 dev b2a
--
-- simulated with two scratch namespaces (vnet-ipip-a, vnet-ipip-b) joined by
-- a veth as the "internet" between them. The servers' public addresses are
-- documentation addresses here (192.0.2.1 for 1.1.1.1, 198.51.100.2 for
-- 2.2.2.2); each server has its subnet on a dummy interface (lan0).
--
--   lua5.4 examples/ipip.lua
-- from a checkout, find its lua/ and vnet/core.so (an installed vnet, or LUA_PATH
-- and LUA_CPATH, come first)
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua;"
  .. here .. "/examples/?.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"

local PREFIX = "vnet-ipip-"
local step, netns, run_example = require "vnet_example" (PREFIX)

local function run()
  local a, b = netns("a"), netns("b")
  step("the internet: veth eth0 (a) <-> eth0 (b)",
       a:link_add{ name = "eth0", kind = "veth", up = true,
                   peer = { name = "eth0", netns = b } })
  local servers = {
    { ns = a, who = "ServerA", me = "192.0.2.1", peer = "198.51.100.2", tun = "a2b",
      lan = "10.1.0.1/24", remote_lan = "10.2.0.0/24" },
    { ns = b, who = "ServerB", me = "198.51.100.2", peer = "192.0.2.1", tun = "b2a",
      lan = "10.2.0.1/24", remote_lan = "10.1.0.0/24" },
  }
  for _, s in ipairs(servers) do
    local ns, w = s.ns, s.who .. ": "
    local eth0 = ns:link("eth0")
    step(w .. "ip addr add " .. s.me .. "/32 dev eth0", eth0:addr_add(s.me .. "/32"))
    step(w .. "ip link set eth0 up", eth0:set{ up = true })
    step(w .. "ip route add " .. s.peer .. "/32 dev eth0",
         ns:route_add{ dst = s.peer .. "/32", dev = "eth0" })
    local lan = step(w .. "ip link add lan0 type dummy",
                     ns:link_add{ name = "lan0", kind = "dummy", up = true })
    step(w .. "ip addr add " .. s.lan .. " dev lan0", lan:addr_add(s.lan))
    local t = step(("%sip tunnel add %s mode ipip remote %s local %s ttl 255")
                   :format(w, s.tun, s.peer, s.me),
                   ns:tunnel_add{ name = s.tun, mode = "ipip", remote = s.peer,
                                  ["local"] = s.me, ttl = 255 })
    step(w .. "ip link set " .. s.tun .. " up", t:set{ up = true })
    step(w .. "ip route add " .. s.remote_lan .. " dev " .. s.tun,
         ns:route_add{ dst = s.remote_lan, dev = s.tun })
    print(("  %s: %s is %s from %s to %s, ttl %d"):format(s.who, t.name, t.kind,
          t.info["local"], t.info.remote, t.info.ttl))
  end
  for _, p in ipairs({ { a, "ServerA", "10.1.0.1", "10.2.0.1" },
                       { b, "ServerB", "10.2.0.1", "10.1.0.1" } }) do
    print(("%s: ping -I %s %s (the other subnet, through the tunnel)"):format(p[2], p[3], p[4]))
    local ok, out = p[1]:exec{ "ping", "-c", "2", "-W", "2", "-I", p[3], p[4] }
    io.write(out)
    if not ok then error(p[2] .. ": ping " .. p[4] .. " failed", 0) end
  end
  local st = a:link("a2b").stats
  print(("  a2b carried %d packets out and %d in"):format(st.tx_packets, st.rx_packets))
  if st.tx_packets == 0 or st.rx_packets == 0 then error("no traffic on a2b", 0) end
end

run_example("ipip", run, "each subnet reached the other through the tunnel, and everything is removed")
