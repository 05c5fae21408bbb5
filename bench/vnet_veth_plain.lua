-- Workload 1 for vnet written as the plain loop: one call at a time, no
-- ns:batch. The same kernel work as bench/vnet_veth.lua: N veth pairs
-- va<i>/vb<i> in one namespace, both ends up, 10.<i/256>.<i%256>.1/24 on
-- va<i>. Three requests a pair: the creation (the kernel echoes the link),
-- the peer's up, the address (echoed).
-- usage: lua5.4 bench/vnet_veth_plain.lua NETNS N
local vnet = require "vnet"
local nsname, n = arg[1], tonumber(arg[2])
local ns = assert(vnet.netns.open(nsname))
for i = 0, n - 1 do
  local va = assert(ns:link_add{ name = "va" .. i, kind = "veth", up = true,
                                 peer = { name = "vb" .. i, up = true } })
  assert(va:addr_add(("10.%d.%d.1/24"):format((i >> 8) & 255, i & 255)))
end
print("veth=" .. n .. " requests=" .. tostring(ns.requests))
