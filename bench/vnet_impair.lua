-- Workload 7 for vnet: an impairment on every cable of the star of N (the
-- egress of the hub's veth h<i>): put on (add), changed (change), taken
-- off (del). KIND netem: delay 10ms loss 1% rate 10mbit, then delay 20ms
-- loss 2% rate 20mbit; KIND tbf (a kernel without netem): rate 10mbit, then
-- 20mbit (burst 10 ms of traffic, limit 1000 frames: what link:impair sets).
-- usage: lua5.4 bench/vnet_impair.lua add|change|del HUB N KIND [plain]
--   batched: the tc core's link:qdisc_add/change/del queued with ns:batch
--   plain:   link:impair{...} / link:impair(false) per cable, one at a time
--            (the lookup by name, the read of its qdiscs, the change)
local vnet = require "vnet"
local phase, hubname, n, kind, plain = arg[1], arg[2], tonumber(arg[3]), arg[4], arg[5] == "plain"
local hub = assert(vnet.netns.open(hubname))

local IMP = {
  netem = { add = { delay = "10ms", loss = "1%", rate = "10mbit" },
            change = { delay = "20ms", loss = "2%", rate = "20mbit" } },
  tbf = { add = { rate = "10mbit" }, change = { rate = "20mbit" } },
}
local Q = {
  netem = { add = { kind = "netem", handle = "e1:", delay = "10ms", loss = "1%", rate = "10mbit" },
            change = { kind = "netem", handle = "e1:", delay = "20ms", loss = "2%", rate = "20mbit" } },
  tbf = { add = { kind = "tbf", handle = "e2:", rate = "10mbit", burst = 12500, limit = 1514000 },
          change = { kind = "tbf", handle = "e2:", rate = "20mbit", burst = 25000, limit = 1514000 } },
}

if plain then
  local want = phase ~= "del" and IMP[kind][phase] or false
  for i = 1, n do
    local l = assert(hub:link("h" .. i))
    assert(l:impair(want))
  end
else
  local links = {}
  for l in hub:links() do links[l.name] = l end
  local o = Q[kind][phase]
  assert(hub:batch(function()
    for i = 1, n do
      local l = links["h" .. i]
      if phase == "add" then l:qdisc_add(o)
      elseif phase == "change" then l:qdisc_change(o)
      else l:qdisc_del{ parent = "root", handle = Q[kind].add.handle } end
    end
  end))
end
print("impaired=" .. (phase == "del" and 0 or n))
