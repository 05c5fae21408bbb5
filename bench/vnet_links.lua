-- Workload 5 for vnet.
--   list:   every link with its addresses (links + addrs, joined on addr.dev)
--   lookup: K lookups by name of d<(t*7919) % N>, one request each
-- usage: lua5.4 bench/vnet_links.lua list NETNS
--        lua5.4 bench/vnet_links.lua lookup NETNS K N
local vnet = require "vnet"
local what, nsname = arg[1], arg[2]
local ns = assert(vnet.netns.open(nsname))

if what == "list" then
  local by, nlinks, joined = {}, 0, 0
  for l in ns:links() do
    nlinks = nlinks + 1
    local e = { link = l, name = l.name, index = l.index, up = l.up, mtu = l.mtu,
                address = l.address, kind = l.kind, addrs = {} }
    by[e.name], by[e.index] = e, e
  end
  for a in ns:addrs() do
    local e = by[a.dev]   -- a name, or an ifindex
    if e then
      e.addrs[#e.addrs + 1] = a
      joined = joined + 1
    end
  end
  print(("links=%d addrs=%d"):format(nlinks, joined))
elseif what == "lookup" then
  local k, n, found = tonumber(arg[3]), tonumber(arg[4]), 0
  for t = 0, k - 1 do
    local name = "d" .. (t * 7919) % n
    local l = ns:link(name)
    if l and l.name == name then found = found + 1 end
  end
  print("found=" .. found)
else
  error("usage: vnet_links.lua list NETNS | lookup NETNS K N")
end
