-- Workload 1 for vnet: N veth pairs va<i>/vb<i> in one namespace, both ends
-- up, 10.<i/256>.<i%256>.1/24 on va<i>.
-- usage: lua5.4 bench/vnet_veth.lua NETNS N
local vnet = require "vnet"
local nsname, n = arg[1], tonumber(arg[2])
local ns = assert(vnet.netns.open(nsname))
-- one batch makes the pairs, a second (after one dump for the objects) sets
-- the peers up and adds the addresses
assert(ns:batch(function()
  for i = 0, n - 1 do
    ns:link_add{ name = "va" .. i, kind = "veth", up = true, peer = { name = "vb" .. i } }
  end
end))
local by = {}
for l in ns:links{ kind = "veth" } do by[l.name] = l end
assert(ns:batch(function()
  for i = 0, n - 1 do
    by["vb" .. i]:set{ up = true }
    by["va" .. i]:addr_add(("10.%d.%d.1/24"):format((i >> 8) & 255, i & 255))
  end
end))
print("veth=" .. n)
