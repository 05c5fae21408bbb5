-- Workload 6 for vnet: N route lookups of 10.<v>, v = i + 2, like `ip route get`.
-- usage: lua5.4 bench/vnet_route_get.lua NETNS N
local vnet = require "vnet"
local nsname, n = arg[1], tonumber(arg[2])
local ns = assert(vnet.netns.open(nsname))

local found = 0
for i = 0, n - 1 do
  local v = i + 2
  local r = ns:route_get(("10.%d.%d.%d"):format((v >> 16) & 255, (v >> 8) & 255, v & 255))
  if r and r.dev then found = found + 1 end
end
print("found=" .. found)
