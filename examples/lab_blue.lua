-- The seed's netns + veth + bridge "blue" lab as a topology script.
--
-- Namespace blue holds veth1 (10.1.1.2/16); its peer veth0 is a port of the
-- bridge test-bridge (10.1.2.2/16) on the host side; blue pings the bridge.
--
--   lua5.4 examples/lab_blue.lua up       build it (one transaction)
--   lua5.4 examples/lab_blue.lua reach    ping across, both ways
--   lua5.4 examples/lab_blue.lua down     remove exactly what it made
--
-- The seed puts the bridge in the machine's own namespace. Here "host" is a
-- namespace of the topology (lab-host), so the script leaves your machine
-- alone; write net:external("host") instead of net:host("host") to do
-- exactly what the seed did (the bridge and veth0 then carry the owner tag
-- "vnet:lab" and `down` removes just them).
-- from a checkout, find its lua/ and vnet/core.so (an installed vnet, or LUA_PATH
-- and LUA_CPATH, come first)
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"
local topo = require "vnet.topology"

local net = topo.new{ name = "lab" }
local host = net:host("host")
local blue = net:host("blue")
local br = net:switch("test-bridge", { at = host, ip = "10.1.2.2/16" })
net:link(blue, br, { blue = { "10.1.1.2/16", name = "veth1" },
                     ["test-bridge"] = { name = "veth0" } })

return net:main(arg)
