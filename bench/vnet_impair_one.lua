-- One cable of a running lab changed with net:impair, timed: a star of N
-- hosts (rate-limited cables, or netem where the kernel has it) brought up,
-- then K changes of one cable (both ends, in place), alternating two rates.
-- usage: lua5.4 bench/vnet_impair_one.lua [N] [K]   prints microseconds per change
local topo = require "vnet.topology"
local n, k = tonumber(arg[1]) or 20, tonumber(arg[2]) or 1000
local netem = require("vnet").supports("qdisc:netem")
local net = topo.new{ name = "vnbench-one" .. os.time() % 100000 }
local sw = net:switch("sw", { subnet = "10.201.0.0/16" })
for i = 1, n do net:link(net:host("h" .. i), sw, netem and { delay = "1ms", rate = "10mbit" } or { rate = "10mbit" }) end
assert(net:up())
local ok, err = pcall(function()
  -- os.clock: the process's CPU time, the kernel's work for its requests
  -- included (netlink requests are handled in the caller's context)
  local clock = os.clock
  local c0 = clock()
  for j = 1, k do
    local o = netem and { delay = (j % 2 == 0) and "2ms" or "1ms", rate = "10mbit" }
              or { rate = (j % 2 == 0) and "20mbit" or "10mbit" }
    assert(net:impair("h1", "sw", o))
  end
  local c1 = clock()
  print(("%s: %d changes of one cable (both ends), %.1f us of CPU each"):format(
    netem and "netem" or "tbf", k, (c1 - c0) / k * 1e6))
end)
net:down()
assert(ok, err)
