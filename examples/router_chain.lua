-- A chain of routers between two hosts; `trace` shows the path hop by hop,
-- the way traceroute/mtr would (it uses traceroute when it is installed and
-- pings with a growing TTL otherwise).
--
--   src ── r1 ── r2 ── r3 ── r4 ── dst        10.0.<i>.0/30 on the i-th cable
--
--   lua5.4 examples/router_chain.lua up | trace | reach | down
--   lua5.4 examples/router_chain.lua exec src mtr -n -r -c 1 10.0.4.2
-- from a checkout, find its lua/ and vnet/core.so (an installed vnet, or LUA_PATH
-- and LUA_CPATH, come first)
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"
local topo = require "vnet.topology"

local N = 4
local net = topo.new{ name = "chain" }
local nodes = { net:host("src") }
for i = 1, N do nodes[#nodes + 1] = net:router("r" .. i) end
nodes[#nodes + 1] = net:host("dst")

-- cable i joins nodes[i] (.1) and nodes[i+1] (.2) on 10.0.<i-1>.0/30
for i = 1, #nodes - 1 do
  net:link(nodes[i], nodes[i + 1], { subnet = ("10.0.%d.0/30"):format(i - 1) })
end
-- every node: the subnets on its left through its left neighbour, the rest
-- through its right one
for i, n in ipairs(nodes) do
  if i < #nodes then net:route(n, "default", nodes[i + 1]) end
  for j = 1, i - 2 do
    net:route(n, ("10.0.%d.0/30"):format(j - 1), nodes[i - 1])
  end
end

local function trace(n)
  local src, dst = nodes[1], nodes[#nodes]
  local target = n:addr(dst)
  if n:exec(src, { "sh", "-c", "command -v traceroute" }, { capture = true }) then
    n:exec(src, { "traceroute", "-n", "-q", "1", "-w", "1", target }, { capture = false })
  end
  -- hop i answers a ping whose TTL runs out there, from its left address
  for ttl = 1, #nodes - 1 do
    local hop = nodes[ttl + 1]
    local want = n:addr(hop)
    local _, out = n:exec(src, { "ping", "-n", "-c", "1", "-W", "1", "-t", tostring(ttl), target },
                          { capture = true })
    local got = ttl < #nodes - 1 and (out or ""):match("From (%S+)")
                or ((out or ""):match("1 received") and target)
    print(("%2d  %-12s %s"):format(ttl, tostring(got), hop.name))
    if got ~= want then return nil, ("hop %d: expected %s (%s), got %s"):format(ttl, want, hop.name, tostring(got)) end
  end
  return true
end

return net:main(arg, { trace = trace })
