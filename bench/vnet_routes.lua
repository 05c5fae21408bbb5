-- Workload 3 for vnet: add (or delete) N routes <prefix(i)>/24 dev DEV in
-- table TABLE; prefix(i) = (11 + i/65536).(i/256%256).(i%256).0
-- usage: lua5.4 bench/vnet_routes.lua add|del NETNS N TABLE DEV
local vnet = require "vnet"
local what, nsname, n, table_, dev = arg[1], arg[2], tonumber(arg[3]), tonumber(arg[4]), arg[5]
local ns = assert(vnet.netns.open(nsname))
local fmt = string.format

local op = what == "add" and ns.route_add or what == "del" and ns.route_del
if not op then error("usage: vnet_routes.lua add|del NETNS N TABLE DEV") end
-- one batch: the requests go out pipelined and every ack is collected
assert(ns:batch(function()
  for i = 0, n - 1 do
    local dst = fmt("%d.%d.%d.0/24", 11 + (i >> 16), (i >> 8) & 255, i & 255)
    op(ns, { dst = dst, dev = dev, table = table_ })
  end
end))
print("routes=" .. n)
