-- The seed's common commands, in Lua:
--
--   ip netns add blue
--   ip link add vethtest01 type veth peer name vethtest02
--   ip link set vethtest02 netns blue
--   ip netns exec blue ifconfig vethtest02 10.1.1.2/16 up
--   ip link add name test-bridge type bridge
--   ip link set test-bridge up
--   ip link set dev vethtest01 master test-bridge
--   ifconfig test-bridge 10.1.2.2/16 up
--   ping 10.1.1.2
--
-- The "host" side lives in its own namespace (vnet-demo-host) so that the demo
-- leaves this machine's network alone; run with --real-host to put the bridge
-- in the caller's namespace exactly as the seed does.
--
--   lua5.4 examples/netns_bridge.lua [--real-host]
-- from a checkout, find its lua/ and vnet/core.so (an installed vnet, or LUA_PATH
-- and LUA_CPATH, come first)
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"
local vnet = require "vnet"

local real_host = arg[1] == "--real-host"
local made = {}          -- what to undo, newest last

local function step(what, ok, msg)
  if not ok then error(what .. ": " .. tostring(msg), 0) end
  print("  " .. what)
  return ok
end

local function teardown()
  for i = #made, 1, -1 do made[i]() end
  made = {}
end

local function run()
  local host
  if real_host then
    host = vnet.netns.current()
  else
    host = step("ip netns add vnet-demo-host", vnet.netns.add("vnet-demo-host"))
    made[#made + 1] = function() vnet.netns.delete("vnet-demo-host") end
  end
  local blue = step("ip netns add blue", vnet.netns.add("blue"))
  made[#made + 1] = function() vnet.netns.delete("blue") end

  -- both ends made where they belong: vethtest02 is born inside blue
  local v1 = step("ip link add vethtest01 type veth peer name vethtest02 (netns blue)",
                  host:link_add{ name = "vethtest01", kind = "veth",
                                 peer = { name = "vethtest02", netns = blue } })
  if real_host then made[#made + 1] = function() v1:delete() end end

  local v2 = step("ip netns exec blue ip link show vethtest02", blue:link("vethtest02"))
  step("ip -n blue addr add 10.1.1.2/16 dev vethtest02", v2:addr_add("10.1.1.2/16"))
  step("ip -n blue link set vethtest02 up", v2:set{ up = true })

  local br = step("ip link add name test-bridge type bridge",
                  host:link_add{ name = "test-bridge", kind = "bridge" })
  if real_host then made[#made + 1] = function() br:delete() end end
  step("ip link set test-bridge up", br:set{ up = true })
  step("ip link set dev vethtest01 master test-bridge up", v1:set{ master = br, up = true })
  step("ip addr add 10.1.2.2/16 dev test-bridge", br:addr_add("10.1.2.2/16"))

  print("\nlinks in blue:")
  for l in blue:links() do print("  " .. tostring(l)) end
  print("addresses in blue:")
  for a in blue:addrs{ family = "inet" } do print("  " .. tostring(a)) end

  print("\nping 10.1.1.2 (from the host side)")
  local ok, out = host:exec{ "ping", "-c", "2", "-W", "2", "10.1.1.2" }
  io.write(out)
  if not ok then error("ping 10.1.1.2 failed", 0) end
  print("ping 10.1.2.2 (from blue)")
  ok, out = blue:exec{ "ping", "-c", "1", "-W", "2", "10.1.2.2" }
  io.write(out)
  if not ok then error("ping 10.1.2.2 failed", 0) end
end

local ok, err = pcall(run)
print("\nteardown")
teardown()
for n in vnet.netns.list() do
  if n == "blue" or n == "vnet-demo-host" then
    print("left behind: " .. n)
    os.exit(1)
  end
end
if not ok then
  io.stderr:write("netns_bridge: ", tostring(err), "\n")
  os.exit(1)
end
print("done: blue reached across the bridge, and everything is removed")
