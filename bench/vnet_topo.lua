-- Workload 8 for vnet: a lab of N hosts on one switch as a vnet.topology
-- script, converged by `up` after each edit. Phases, each a new process
-- that builds the script of its edit and runs it:
--   up      from nothing
--   noop    up again, nothing changed (reads what it needs, changes nothing)
--   addr    h1 gets another address (one address made, one removed)
--   imp     every cable gets an impairment on its switch end (N qdiscs)
--   down    everything removed
-- usage: lua5.4 bench/vnet_topo.lua up|noop|addr|imp|down NAME N KIND
--   KIND: netem (delay+loss+rate) or tbf (rate alone, a kernel without netem)
local topo = require "vnet.topology"
local phase, name, n, kind = arg[1], arg[2], tonumber(arg[3]), arg[4]

local net = topo.new{ name = name }
local sw = net:switch("sw", { subnet = "10.200.0.0/16" })
local IMP = kind == "netem" and { delay = "10ms", loss = "1%", rate = "10mbit" }
            or { rate = "10mbit" }
for i = 1, n do
  local h = net:host("h" .. i)
  local o = {}
  if i == 1 and (phase == "addr" or phase == "imp") then o[h] = "10.201.0.1/16" end
  if phase == "imp" then o[sw] = IMP end
  net:link(h, sw, o)
end

if phase == "down" then
  assert(net:down())
else
  assert(net:up())
end
print("phase=" .. phase)
