-- VXLAN: two hosts whose only connection is a routed underlay (a veth,
-- 192.168.100.0/24), with a layer-2 overlay (VNI 42, 10.42.0.0/24) between
-- them, as the seed does with
--
--   ip link add vxlan42 type vxlan id 42 remote 192.168.100.2 local 192.168.100.1 \
--        dstport 4789 dev eth0
--   ip addr add 10.42.0.1/24 dev vxlan42; ip link set vxlan42 up
--
-- Each host lives in its own scratch namespace (vnet-vxlan-a, vnet-vxlan-b).
-- Ping crosses the overlay, then iperf3 measures it.
--
--   lua5.4 examples/vxlan.lua
-- from a checkout, find its lua/ and vnet/core.so (an installed vnet, or LUA_PATH
-- and LUA_CPATH, come first)
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua;"
  .. here .. "/examples/?.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"

local PREFIX = "vnet-vxlan-"
local step, netns, run_example = require "vnet_example" (PREFIX)

local function run()
  local a, b = netns("a"), netns("b")
  step("underlay: veth eth0 (a) <-> eth0 (b)",
       a:link_add{ name = "eth0", kind = "veth", up = true,
                   peer = { name = "eth0", netns = b } })
  local hosts = { { a, "192.168.100.1", "192.168.100.2", "10.42.0.1/24" },
                  { b, "192.168.100.2", "192.168.100.1", "10.42.0.2/24" } }
  for i, h in ipairs(hosts) do
    local ns, me, peer, overlay = h[1], h[2], h[3], h[4]
    local who = i == 1 and "a" or "b"
    local eth0 = ns:link("eth0")
    step(who .. ": ip addr add " .. me .. "/24 dev eth0", eth0:addr_add(me .. "/24"))
    step(who .. ": ip link set eth0 up", eth0:set{ up = true })
    local vx = step(("%s: ip link add vxlan42 type vxlan id 42 remote %s local %s"
                     .. " dstport 4789 dev eth0"):format(who, peer, me),
                    ns:link_add{ name = "vxlan42", kind = "vxlan", id = 42, remote = peer,
                                 ["local"] = me, dstport = 4789, dev = "eth0" })
    step(who .. ": ip addr add " .. overlay .. " dev vxlan42", vx:addr_add(overlay))
    step(who .. ": ip link set vxlan42 up", vx:set{ up = true })
  end
  local vx = a:link("vxlan42")
  print(("  a's vxlan42: vni %d to %s:%d, mtu %d"):format(vx.info.id, vx.info.remote,
                                                         vx.info.dstport, vx.mtu))

  print("ping 10.42.0.2 over the overlay")
  local ok, out = a:exec{ "ping", "-c", "3", "-W", "2", "10.42.0.2" }
  io.write(out)
  if not ok then error("ping over the overlay failed", 0) end

  print("iperf3 over the overlay")
  step("b: iperf3 -s -1 -D", b:exec{ "iperf3", "-s", "-1", "-D", "-B", "10.42.0.2" })
  local out2
  for _ = 1, 20 do   -- the daemon needs a moment to listen
    ok, out2 = a:exec{ "iperf3", "-c", "10.42.0.2", "-t", "2", "-f", "m" }
    if ok or not (out2 or ""):find("refused") then break end
    a:exec{ "sleep", "0.2" }
  end
  for line in (out2 or ""):gmatch("[^\n]+") do
    if line:find("sender") or line:find("receiver") then print("  " .. line) end
  end
  if not ok then error("iperf3 over the overlay failed: " .. tostring(out2), 0) end
  local stats = vx:refresh().stats
  print(("  a's vxlan42 sent %d packets, %d bytes"):format(stats.tx_packets, stats.tx_bytes))
end

run_example("vxlan", run, "the overlay carried ping and iperf3, and everything is removed")
