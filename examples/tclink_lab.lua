-- Mininet's TCLink lab, in vnet: N hosts on one switch, every link shaped
-- the way Mininet's
--
--   self.addLink(host, switch, bw=10, delay='5ms', loss=1, max_queue_size=1000)
--
-- shapes it (its TCIntf puts the same limits on both interfaces of a link),
-- then `perf` runs Mininet's perfTest: ping all pairs, iperf h1 -> hN.
--
--   h1 ─┐
--   h2 ─┼─ s1     10.0.0.0/24, each link 10 mbit, 5 ms, 1% loss each way
--   h3 ─┤
--   h4 ─┘
--
--   lua5.4 examples/tclink_lab.lua up | perf | status | dot | down
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"
local topo = require "vnet.topology"

local N = 4
-- Mininet's units: bw in Mbit/s, delay a tc string, loss in percent,
-- max_queue_size in packets
local function tclink(bw, delay, loss, max_queue_size)
  return { rate = bw .. "mbit", delay = delay, loss = loss, limit = max_queue_size }
end

local net = topo.new{ name = "tclink" }
local s1 = net:switch("s1", { subnet = "10.0.0.0/24" })
local hosts = {}
for i = 1, N do
  hosts[i] = net:host("h" .. i)
  net:link(hosts[i], s1, tclink(10, "5ms", 1, 1000))
end

local function perf(n)
  -- pingAll: one exchange per pair, with the loss a few tries may need
  local pairs_ok, total = 0, 0
  for i = 1, N do
    for j = 1, N do
      if i ~= j then
        total = total + 1
        local ok = n:ping(hosts[i], hosts[j], { count = 3, timeout = 2 })
        if ok then pairs_ok = pairs_ok + 1 end
      end
    end
  end
  print(("pingAll: %d/%d pairs answer"):format(pairs_ok, total))
  -- RTT: h1 -> hN crosses four shaped interfaces (5 ms each)
  local _, out = n:exec(hosts[1], { "ping", "-n", "-q", "-c", "10", "-i", "0.05", n:addr(hosts[N]) })
  print(("h1 -> h%d RTT min/avg/max: %s ms"):format(N, out:match("= ([%d./]+) ms") or "?"))
  -- iperf h1 -> hN
  local server = n:addr(hosts[N])
  local ok, _, err = n:exec(hosts[N], { "iperf3", "-s", "-1", "-D", "-B", server })
  if not ok then return nil, "iperf3 -s: " .. tostring(err) end
  for _ = 1, 50 do
    ok, out = n:exec(hosts[1], { "iperf3", "-c", server, "-t", "2", "-J" })
    if ok then break end
    os.execute("sleep 0.1")
  end
  if not ok then return nil, "iperf3 -c: " .. tostring(out) end
  local bps = tonumber(out:match('"sum_received"%s*:%s*{.-"bits_per_second"%s*:%s*([%d.e+]+)'))
  print(("iperf h1 -> h%d: %.2f Mbit/s (links: 10 mbit)"):format(N, (bps or 0) / 1e6))
  return pairs_ok == total
end

return net:main(arg, { perf = perf })
