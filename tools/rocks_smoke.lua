-- tools/rocks_smoke.lua TREE: the rocks tier's check of an installed vnet
-- (tools/rocks.sh runs it with LUA_PATH and LUA_CPATH naming TREE first, in
-- a private network namespace and /run/netns). vnet, vnet.topology,
-- vnet.json and vnet.core must come from TREE; then a two-host topology
-- comes up, pings across, goes down.
local tree = assert(arg[1], "usage: rocks_smoke.lua TREE")
local function from_tree(name, path)
  local file = assert(package.searchpath(name, path), name .. " not found")
  assert(file:sub(1, #tree + 1) == tree .. "/", name .. " comes from " .. file .. ", not " .. tree)
  return file
end
from_tree("vnet", package.path)
from_tree("vnet.topology", package.path)
from_tree("vnet.json", package.path)
from_tree("vnet.topology.gen", package.path)
from_tree("vnet.core", package.cpath)
local vnet = require "vnet"
assert(vnet.version == require("vnet.core").version)
assert(vnet.version:match("^%d+%.%d+%.%d+$"), vnet.version)
assert(require("vnet.json").encode({ up = true }) == '{"up":true}')
print(("vnet %s on %s"):format(vnet.version, jit and jit.version or _VERSION))

local topo = require "vnet.topology"
local net = topo.new{ name = "rocks" }
local a, b = net:host("a"), net:host("b")
net:link(a, b, { a = "10.9.0.1/24", b = "10.9.0.2/24" })
assert(net:up())
-- a first packet can be lost while the new veth pair comes up
local ok, err
for _ = 1, 5 do
  ok, err = net:ping(a, b, { timeout = 2 })
  if ok then break end
end
local down_ok, down_err = net:down()
assert(ok, "ping a -> b: " .. tostring(err))
assert(down_ok, "down: " .. tostring(down_err))
local p = io.popen("ip netns list")
local left = p:read("*a")
p:close()
assert(left == "", "namespaces left behind: " .. left)
print("two hosts: up, ping, down: ok")
