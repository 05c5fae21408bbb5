-- Workload 5's listing taken apart: where the time of "list every link with
-- its addresses" goes, each part timed in this one process (CPU seconds,
-- os.clock: user and system). Not part of `make bench`; run it on a
-- namespace that holds the links (bench/raw -n NETNS fixture-links N makes one).
-- usage: lua5.4 bench/vnet_links_parts.lua NETNS
local vnet = require "vnet"
local ns = assert(vnet.netns.open(arg[1]))
local clock, fmt = os.clock, string.format

local function part(name, f)
  collectgarbage()
  local t0 = clock()
  local n = f()
  print(fmt("%-52s %7.1f ms  (%d)", name, (clock() - t0) * 1e3, n))
end

part("link dump, values made and dropped", function()
  local n = 0
  for _ in ns:links() do n = n + 1 end
  return n
end)

part("address dump, values made and dropped", function()
  local n = 0
  for _ in ns:addrs() do n = n + 1 end
  return n
end)

local links, addrs = {}, {}
part("both dumps, values kept", function()
  for l in ns:links() do links[#links + 1] = l end
  for a in ns:addrs() do addrs[#addrs + 1] = a end
  return #links + #addrs
end)

part("the workload's 7 field reads per link and address", function()
  for _, l in ipairs(links) do
    local _ = l.name, l.index, l.up, l.mtu, l.address, l.kind
  end
  for _, a in ipairs(addrs) do local _ = a.dev end
  return #links * 6 + #addrs
end)

-- what the workload reads, as plain values, for the Lua-only part below
local plain = {}
for i, l in ipairs(links) do plain[i] = { l.name, l.index, l.up, l.mtu, l.address, l.kind } end

part("Lua alone: the workload's tables and join, no vnet", function()
  local by = {}
  for _, p in ipairs(plain) do
    local e = { link = p, name = p[1], index = p[2], up = p[3], mtu = p[4],
                address = p[5], kind = p[6], addrs = {} }
    by[e.name], by[e.index] = e, e
  end
  local joined = 0
  for i = 1, #addrs do
    local e = by[plain[(i % #plain) + 1][2]]
    if e then e.addrs[#e.addrs + 1] = i; joined = joined + 1 end
  end
  return joined
end)
