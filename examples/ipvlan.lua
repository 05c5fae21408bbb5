-- ipvlan: a server whose one network card (eth0, on a LAN) gives two
-- containers their own IP addresses on that LAN behind its one MAC address,
-- as the seed does with
--
--   ip link add ipv1 link eth0 type ipvlan mode l2
--   ip link set ipv1 netns c1
--
-- The LAN, the server and each container are scratch namespaces
-- (vnet-ipvlan-lan, -srv, -c1, -c2); each ipvlan is made on the server's
-- eth0 and born directly inside its container. The containers reach the LAN
-- and, in l2 mode, each other; all of them share eth0's MAC address.
--
--   lua5.4 examples/ipvlan.lua
-- from a checkout, find its lua/ and vnet/core.so (an installed vnet, or LUA_PATH
-- and LUA_CPATH, come first)
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua;"
  .. here .. "/examples/?.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"

local PREFIX = "vnet-ipvlan-"
local step, netns, run_example = require "vnet_example" (PREFIX)

local function ping(from, who, addr)
  local ok, out = from:exec{ "ping", "-c", "2", "-W", "2", addr }
  io.write(out)
  if not ok then error(who .. ": ping " .. addr .. " failed", 0) end
end

local function run()
  local lan, srv = netns("lan"), netns("srv")
  local c = { netns("c1"), netns("c2") }
  local uplink = step("cable: veth eth0 (srv) <-> port (lan)",
                      srv:link_add{ name = "eth0", kind = "veth", up = true,
                                    peer = { name = "port", netns = lan } })
  local port = lan:link("port")
  step("lan: ip addr add 10.50.0.254/24 dev port", port:addr_add("10.50.0.254/24"))
  step("lan: ip link set port up", port:set{ up = true })
  for i, ns in ipairs(c) do
    local name = "ipv" .. i
    step(("srv: ip link add %s link eth0 type ipvlan mode l2 (born in c%d)")
         :format(name, i),
         srv:link_add{ name = name, kind = "ipvlan", parent = uplink, mode = "l2",
                       netns = ns })
    local iv = ns:link(name)
    step(("c%d: ip addr add 10.50.0.%d/24 dev %s"):format(i, 10 + i, name),
         iv:addr_add(("10.50.0.%d/24"):format(10 + i)))
    step(("c%d: ip link set %s up"):format(i, name), iv:set{ up = true })
    print(("  c%d's %s: mode %s, address %s"):format(i, name, iv.info.mode, iv.address))
    if iv.address ~= uplink.address then error(name .. " does not share eth0's MAC", 0) end
  end
  print("c1 -> the LAN")
  ping(c[1], "c1", "10.50.0.254")
  print("c2 -> the LAN")
  ping(c[2], "c2", "10.50.0.254")
  print("c1 -> c2 (l2 mode)")
  ping(c[1], "c1", "10.50.0.12")
end

run_example("ipvlan", run, "both containers reached the LAN and each other through one MAC address,"
      .. " and everything is removed")
