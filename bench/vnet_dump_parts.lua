-- Workload 4 taken apart: where the time of "dump N routes into Lua values,
-- reading every field" goes, each part timed in this one process (CPU
-- seconds, os.clock). Not part of `make bench`; run it on a namespace that
-- holds the routes (bench/raw -n NETNS routes-add N 100 d0 makes one).
-- usage: lua5.4 bench/vnet_dump_parts.lua NETNS [TABLE]
local vnet = require "vnet"
local ns = assert(vnet.netns.open(arg[1]))
local table_ = tonumber(arg[2]) or 100
local clock, fmt = os.clock, string.format

local function part(name, f)
  collectgarbage()
  local t0 = clock()
  local n = f()
  print(fmt("%-44s %8.3f s  (%d)", name, clock() - t0, n))
end

part("dump, values made and dropped", function()
  local n = 0
  for _ in ns:routes{ table = table_ } do n = n + 1 end
  return n
end)

local out, n = {}, 0
part("dump, values kept in a table", function()
  for r in ns:routes{ table = table_ } do n = n + 1; out[n] = r end
  return n
end)

part("9 reads of one constant field per route", function()
  for i = 1, n do
    local r = out[i]
    local _ = r.family, r.family, r.family, r.family, r.family, r.family,
              r.family, r.family, r.family
  end
  return n * 9
end)

part("the 9 reads of the workload per route", function()
  for i = 1, n do
    local r = out[i]
    local _ = r.dst, r.gateway, r.dev, r.table, r.protocol, r.scope, r.type,
              r.metric, r.src
  end
  return n * 9
end)

part("Lua alone: 9 __index calls (a Lua function)", function()
  local u = setmetatable({}, { __index = function() return 1 end })
  for _ = 1, n do
    local _ = u.a, u.a, u.a, u.a, u.a, u.a, u.a, u.a, u.a
  end
  return n * 9
end)

-- The floor of any library that hands Lua one object per route with fields
-- read through a C function: the same shape of work with no vnet at all.
-- rawget stands for the cheapest C __index (it finds nothing: every read
-- goes to the metamethod); string.char makes one new short string per
-- object, as reading dst does.
local floor = {}
part("Lua alone: N objects kept, 9 C __index reads, 1 new string each", function()
  local mt = { __index = rawget }
  local char = string.char
  for i = 1, n do
    local o = setmetatable({ false }, mt)
    floor[i] = o
    local _ = o.dst, o.gateway, o.dev, o.table, o.protocol, o.scope, o.type,
              o.metric, o.src
    local _ = char(48 + i % 10, 48 + i // 10 % 10, 48 + i // 100 % 10,
                   48 + i // 1000 % 10, 48 + i // 10000 % 10, 48 + i // 100000 % 10,
                   46, 48 + i // 1000000 % 10, 47, 50, 52)
  end
  return n
end)
floor = nil

part("one read of dst per route (a new string each)", function()
  for i = 1, n do local _ = out[i].dst end
  return n
end)
out = nil

-- routes{ fields = }: no object per route, the values handed out directly
local F = { "dst", "gateway", "dev", "table", "protocol", "scope", "type", "metric", "src" }
part("fields: dump, the 9 fields, values dropped", function()
  local m = 0
  for _ in ns:routes{ table = table_, fields = F } do m = m + 1 end
  return m
end)

part("fields: dump, the 9 fields kept in 9 columns", function()
  local c1, c2, c3, c4, c5, c6, c7, c8, c9 = {}, {}, {}, {}, {}, {}, {}, {}, {}
  local m = 0
  for a, b, c, d, e, f, g, h, k in ns:routes{ table = table_, fields = F } do
    m = m + 1
    c1[m], c2[m], c3[m], c4[m], c5[m], c6[m], c7[m], c8[m], c9[m] = a, b, c, d, e, f, g, h, k
  end
  return m
end)

-- The floor of keeping every value in Lua: 9 columns, one new short string
-- per row (as dst is), the other values as the dump gives them.
part("Lua alone: 9 columns kept, 1 new string per row", function()
  local c1, c2, c3, c4, c5, c6, c7, c8, c9 = {}, {}, {}, {}, {}, {}, {}, {}, {}
  local char = string.char
  for i = 1, n do
    c1[i] = char(48 + i % 10, 48 + i // 10 % 10, 48 + i // 100 % 10,
                 48 + i // 1000 % 10, 48 + i // 10000 % 10, 48 + i // 100000 % 10,
                 46, 48 + i // 1000000 % 10, 47, 50, 52)
    c2[i], c3[i], c4[i], c5[i], c6[i], c7[i], c8[i], c9[i] =
      nil, 3, 100, "boot", "link", "unicast", 0, nil
  end
  return n
end)
