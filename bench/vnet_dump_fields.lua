-- Workload 4 for vnet, the fields way: dump one routing table with
-- routes{ fields = ... }, which hands out the fields users ask for as plain
-- values (no route object, no __index per field), and keep every value, one
-- column per field. The same fields as vnet_dump.lua reads.
-- usage: lua5.4 bench/vnet_dump_fields.lua NETNS TABLE
local vnet = require "vnet"
local nsname, table_ = arg[1], tonumber(arg[2])
local ns = assert(vnet.netns.open(nsname))

local c_dst, c_gw, c_dev, c_table, c_proto, c_scope, c_type, c_metric, c_src =
  {}, {}, {}, {}, {}, {}, {}, {}, {}
local n = 0
for dst, gw, dev, tab, proto, scope, typ, metric, src in ns:routes{ table = table_,
    fields = { "dst", "gateway", "dev", "table", "protocol", "scope", "type", "metric", "src" } } do
  n = n + 1
  c_dst[n], c_gw[n], c_dev[n], c_table[n], c_proto[n] = dst, gw, dev, tab, proto
  c_scope[n], c_type[n], c_metric[n], c_src[n] = scope, typ, metric, src
end
print("routes=" .. n)
