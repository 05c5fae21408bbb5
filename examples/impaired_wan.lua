-- Two sites over a WAN: a fast primary line (20 ms each way, 10 mbit, a
-- little loss) and a slow lossy backup (80 ms, 2 mbit, 2% loss). Ping and
-- iperf3 show the impairments; then the primary fails and traffic takes
-- the backup (its routes have a higher metric), then it comes back.
--
--   a1 10.1.0.10 ── ra ══ primary 10.100.1.0/30 ══ rb ── b1 10.2.0.10
--   (site A 10.1.0.0/24)  ── backup 10.100.2.0/30 ──  (site B 10.2.0.0/24)
--
--   lua5.4 examples/impaired_wan.lua up | demo | status | dot | down
--   lua5.4 examples/impaired_wan.lua fail | recover | slow | fast
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"
local topo = require "vnet.topology"

local net = topo.new{ name = "wan" }
local a1, b1 = net:host("a1"), net:host("b1")
local ra, rb = net:router("ra"), net:router("rb")
net:link(a1, ra, { a1 = "10.1.0.10/24", ra = "10.1.0.1/24" })
net:link(b1, rb, { b1 = "10.2.0.10/24", rb = "10.2.0.1/24" })
-- impairments on both directions of each WAN line (the egress of each end)
local primary = net:link(ra, rb, { ra = "10.100.1.1/30", rb = "10.100.1.2/30",
                                   delay = "20ms", jitter = "1ms", loss = "0.1%",
                                   rate = "10mbit" })
local backup = net:link(ra, rb, { ra = "10.100.2.1/30", rb = "10.100.2.2/30",
                                  delay = "80ms", loss = "2%", rate = "2mbit" })
net:route(a1, "default", ra)
net:route(b1, "default", rb)
net:route(ra, "10.2.0.0/24", "10.100.1.2", { metric = 10 })   -- primary
net:route(ra, "10.2.0.0/24", "10.100.2.2", { metric = 20 })   -- backup
net:route(rb, "10.1.0.0/24", "10.100.1.1", { metric = 10 })
net:route(rb, "10.1.0.0/24", "10.100.2.1", { metric = 20 })

local function ping(n, count, interval)
  local ok, out = n:exec(a1, { "ping", "-n", "-q", "-c", tostring(count), "-i", interval,
                               "-W", "1", "10.2.0.10" })
  local sent, got = out:match("(%d+) packets transmitted, (%d+) received")
  local avg = out:match("= [%d.]+/([%d.]+)/")
  if not sent then return nil, "ping: " .. tostring(out) end
  print(("  ping a1 -> b1: %s sent, %s received, average RTT %s ms"):format(sent, got, avg or "-"))
  return ok or tonumber(got) > 0
end

local function iperf(n, seconds)
  local ok, _, err = n:exec(b1, { "iperf3", "-s", "-1", "-D", "-B", "10.2.0.10" })
  if not ok then return nil, "iperf3 -s: " .. tostring(err) end
  local out
  for _ = 1, 50 do
    ok, out = n:exec(a1, { "iperf3", "-c", "10.2.0.10", "-t", tostring(seconds), "-J" })
    if ok then break end
    os.execute("sleep 0.1")
  end
  if not ok then return nil, "iperf3 -c: " .. tostring(out) end
  local bps = tonumber(out:match('"sum_received"%s*:%s*{.-"bits_per_second"%s*:%s*([%d.e+]+)'))
  if not bps then return nil, "iperf3 reported no throughput" end
  print(("  iperf3 a1 -> b1: %.2f Mbit/s"):format(bps / 1e6))
  return true
end

local function step(title, ok, msg)
  if not ok then error(title .. ": " .. tostring(msg), 0) end
end

local commands = {
  fail = function(n) return n:cable_down(primary) end,
  recover = function(n) return n:cable_up(primary) end,
  -- the primary changed in place while traffic flows
  slow = function(n) return n:impair(primary, { delay = "100ms", rate = "1mbit" }) end,
  fast = function(n) return n:impair(primary, { delay = "20ms", jitter = "1ms", loss = "0.1%",
                                               rate = "10mbit" }) end,
  demo = function(n)
    print("primary line (20 ms each way, 10 mbit):")
    step("ping", ping(n, 20, "0.05"))
    step("iperf3", iperf(n, 2))
    print("the primary fails: the backup carries the traffic (80 ms, 2 mbit, 2% loss)")
    step("cable_down", n:cable_down(primary))
    step("ping", ping(n, 100, "0.01"))
    step("iperf3", iperf(n, 2))
    print("the primary is back:")
    step("cable_up", n:cable_up(primary))
    step("ping", ping(n, 20, "0.05"))
    return true
  end,
}
local _ = backup
return net:main(arg, commands)
