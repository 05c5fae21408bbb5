-- VLANs: two hosts joined by one cable (a veth "trunk"), each with the
-- tagged interfaces for VLAN 10 and VLAN 20 on it, as the seed does with
--
--   ip link add link eth0 name eth0.10 type vlan id 10
--   ip addr add 10.10.0.1/24 dev eth0.10; ip link set eth0.10 up
--
-- Each host lives in its own scratch namespace (vnet-vlan-a, vnet-vlan-b).
-- Hosts reach each other on the same VLAN, and not across VLANs.
--
--   lua5.4 examples/vlan.lua
-- from a checkout, find its lua/ and vnet/core.so (an installed vnet, or LUA_PATH
-- and LUA_CPATH, come first)
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua;"
  .. here .. "/examples/?.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"

local PREFIX = "vnet-vlan-"
local step, netns, run_example = require "vnet_example" (PREFIX)

local function ping(ns, addr)
  local ok, out = ns:exec{ "ping", "-c", "2", "-W", "2", addr }
  return ok, out
end

local function run()
  local a, b = netns("a"), netns("b")
  -- the trunk: one end in each host
  step("trunk: veth eth0 (a) <-> eth0 (b)",
       a:link_add{ name = "eth0", kind = "veth", up = true,
                   peer = { name = "eth0", netns = b } })
  step("b: ip link set eth0 up", b:link("eth0"):set{ up = true })
  local addrs = { a = { [10] = "10.10.0.1/24", [20] = "10.20.0.1/24" },
                  b = { [10] = "10.10.0.2/24", [20] = "10.20.0.2/24" } }
  for host, ns in pairs({ a = a, b = b }) do
    for _, id in ipairs({ 10, 20 }) do
      local v = step(("%s: ip link add link eth0 name eth0.%d type vlan id %d")
                     :format(host, id, id),
                     ns:link_add{ name = "eth0." .. id, kind = "vlan", parent = "eth0",
                                  id = id, up = true })
      step(("%s: ip addr add %s dev eth0.%d"):format(host, addrs[host][id], id),
           v:addr_add(addrs[host][id]))
    end
  end
  -- one subnet on a's VLAN 20 and b's VLAN 10: it must stay unreachable (b
  -- answers ARP only on the interface that has the address)
  step("a: ip addr add 10.30.0.1/24 dev eth0.20", a:link("eth0.20"):addr_add("10.30.0.1/24"))
  step("b: ip addr add 10.30.0.2/24 dev eth0.10", b:link("eth0.10"):addr_add("10.30.0.2/24"))
  step("b: sysctl net.ipv4.conf.all.arp_ignore=1", b:sysctl("net.ipv4.conf.all.arp_ignore", 1))

  for l in a:links{ kind = "vlan" } do
    print(("  a has %s: vlan id %d (%s) on link %d"):format(l.name, l.info.id,
                                                           l.info.protocol, l.link))
  end
  for _, t in ipairs({ "10.10.0.2", "10.20.0.2" }) do
    local ok, out = ping(a, t)
    io.write(out)
    if not ok then error("ping " .. t .. " over its VLAN failed", 0) end
  end
  print("ping 10.30.0.2 (a's VLAN 20 to b's VLAN 10: must fail)")
  if ping(a, "10.30.0.2") then error("traffic crossed from VLAN 20 to VLAN 10", 0) end
  print("  no answer, as it should be")
end

run_example("vlan", run, "each VLAN carried its own traffic, and everything is removed")
