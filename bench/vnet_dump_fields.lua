-- Workload 4 for vnet, the fields way: dump one routing table with
-- routes{ fields = ... }, which hands out the fields users ask for as plain
-- values (no route object, no __index per field). The same nine fields as
-- vnet_dump.lua reads.
--   read: each route's values are handed to the loop and used there (a
--         checksum of the numbers, as the C program makes one), then dropped,
--         as vnet_dump.lua drops the values it reads (row "vnet fields")
--   kept: every value kept, one Lua table per field (row "fields kept")
-- usage: lua5.4 bench/vnet_dump_fields.lua NETNS TABLE [read|kept]
local vnet = require "vnet"
local nsname, table_, mode = arg[1], tonumber(arg[2]), arg[3] or "read"
local ns = assert(vnet.netns.open(nsname))
local F = { "dst", "gateway", "dev", "table", "protocol", "scope", "type", "metric", "src" }

local n = 0
if mode == "read" then
  local sum = 0
  for dst, _, dev, tab, _, _, _, metric in ns:routes{ table = table_, fields = F } do
    n = n + 1
    sum = sum + #dst + (dev or 0) + (tonumber(tab) or 0) + metric
  end
  if os.getenv("BENCH_VERBOSE") then io.stderr:write("checksum ", sum, "\n") end
elseif mode == "kept" then
  local c_dst, c_gw, c_dev, c_table, c_proto, c_scope, c_type, c_metric, c_src =
    {}, {}, {}, {}, {}, {}, {}, {}, {}
  for dst, gw, dev, tab, proto, scope, typ, metric, src in ns:routes{ table = table_, fields = F } do
    n = n + 1
    c_dst[n], c_gw[n], c_dev[n], c_table[n], c_proto[n] = dst, gw, dev, tab, proto
    c_scope[n], c_type[n], c_metric[n], c_src[n] = scope, typ, metric, src
  end
else
  error("mode must be read or kept, got " .. tostring(mode))
end
print("routes=" .. n)
