-- Workload 2 for vnet: a star of N namespaces PREFIX<i> on bridge br0 in the
-- hub namespace; veth h<i> (master br0, up) with its peer eth0 created
-- directly in PREFIX<i>; 10.200.<i/256>.<i%256>/16 on eth0, eth0 up.
-- usage: lua5.4 bench/vnet_star.lua up|down HUB PREFIX N
local vnet = require "vnet"
local what, hubname, prefix, n = arg[1], arg[2], arg[3], tonumber(arg[4])
local hub = assert(vnet.netns.open(hubname))

if what == "up" then
  -- every change is queued with ns:batch and sent pipelined: one batch in
  -- the hub for the veths, one per node for its address and link state
  local br = assert(hub:link_add{ name = "br0", kind = "bridge", up = true })
  local nodes = {}
  for i = 1, n do nodes[i] = assert(vnet.netns.add(prefix .. i)) end
  assert(hub:batch(function(h)
    for i = 1, n do
      h:link_add{ name = "h" .. i, kind = "veth", master = br, up = true,
                  peer = { name = "eth0", netns = nodes[i] } }
    end
  end))
  for i, node in ipairs(nodes) do
    local eth0 = assert(node:link("eth0"))
    assert(node:batch(function()
      eth0:addr_add(("10.200.%d.%d/16"):format((i >> 8) & 255, i & 255))
      eth0:set{ up = true }
    end))
  end
  print("nodes=" .. n)
elseif what == "down" then
  for i = 1, n do
    assert(vnet.netns.delete(prefix .. i))
  end
  assert(assert(hub:link("br0")):delete())
  print("nodes=0")
else
  error("usage: vnet_star.lua up|down HUB PREFIX N")
end
