-- Workload 4 for vnet: dump one routing table into Lua values, reading every
-- field users ask for; kernel-side filtering is vnet's business.
-- usage: lua5.4 bench/vnet_dump.lua NETNS TABLE
local vnet = require "vnet"
local nsname, table_ = arg[1], tonumber(arg[2])
local ns = assert(vnet.netns.open(nsname))

local out, n = {}, 0
for r in ns:routes{ table = table_ } do
  n = n + 1
  out[n] = r
  -- touch every field a user asks for (values are computed, then dropped)
  local _ = r.dst, r.gateway, r.dev, r.table, r.protocol, r.scope, r.type,
            r.metric, r.src
end
print("routes=" .. n)
