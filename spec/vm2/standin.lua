-- spec/vm2/standin.lua -- the vm2 tier's self-test: a two-machine lab made
-- with plain `ip` commands, driven the way spec/vm2/pair.sh drives a
-- topology script (inside each VM of vm/run2):
--
--   lua5.4 spec/vm2/standin.lua up|reach|down --machine A|B
--
-- Each machine gets a namespace "vnet-standin" holding one end of an IPIP
-- tunnel between the two machines' underlay addresses (eth0, VNET_ADDR_A and
-- VNET_ADDR_B): 10.255.9.1/30 on A, 10.255.9.2/30 on B.  reach pings the far
-- end through the tunnel; down removes the namespace.  The tunnel carries the
-- alias "vnet:standin", so pair.sh's leftover check sees it if it stays.

local verb, flag, machine = ...
if not (verb == "up" or verb == "reach" or verb == "down")
   or flag ~= "--machine" or not (machine == "A" or machine == "B") then
  io.stderr:write("usage: lua5.4 spec/vm2/standin.lua up|reach|down --machine A|B\n")
  os.exit(2)
end

local function addr(m, default)
  return (os.getenv("VNET_ADDR_" .. m) or default):match("^[^/]+")
end
local under = { A = addr("A", "192.168.9.125/24"), B = addr("B", "192.168.9.183/24") }
local inner = { A = "10.255.9.1", B = "10.255.9.2" }
local peer = machine == "A" and "B" or "A"
local NS = "vnet-standin"

local function sh(cmd)
  print("+ " .. cmd)
  local ok = os.execute(cmd)
  if not ok then
    io.stderr:write("standin: failed: " .. cmd .. "\n")
    os.exit(1)
  end
end

if verb == "up" then
  sh("ip netns add " .. NS)
  sh(("ip link add vst0 type ipip local %s remote %s"):format(under[machine], under[peer]))
  sh("ip link set vst0 alias vnet:standin netns " .. NS)
  sh(("ip -n %s addr add %s/30 dev vst0"):format(NS, inner[machine]))
  sh(("ip -n %s link set vst0 up"):format(NS))
elseif verb == "reach" then
  sh(("ip netns exec %s ping -c 1 -W 2 %s"):format(NS, inner[peer]))
else
  sh(("ip -n %s link del vst0"):format(NS))
  sh("ip netns del " .. NS)
end
