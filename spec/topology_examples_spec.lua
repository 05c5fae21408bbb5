-- Every topology example in examples/ is brought up, checked, brought up a
-- second time (which must change nothing), torn down, and nothing of it may
-- remain. The examples run as a user runs them: as scripts, in a new process,
-- with the interpreter and build under test (H.lua_cmd). Their topology names
-- are fixed, so each lives in a world of its own (H.world), where no other run
-- of the suite can meet it and from which nothing it makes can escape. The
-- impaired-network examples need netem: pending on a kernel without it,
-- failing in the VM tier.
local H = require "spec.helper"
local json = require "dkjson"

-- the caller's own links, which no example may touch
local function links(json_text)
  local t = {}
  for _, l in ipairs(json.decode(json_text) or {}) do
    t[#t + 1] = l.ifname .. " " .. l.ifindex .. " " .. tostring(l.master) .. " " .. l.mtu
  end
  table.sort(t)
  return table.concat(t, "\n")
end

-- file, topology name, the command that checks it, the kinds it needs, and
-- what its output must show (one string, or a list of them); qdiscs: the tc
-- kinds it needs, which its dot drawing marks as impairments
local EXAMPLES = {
  { "lab_blue", "lab", "reach", {}, "2/2 pairs ok" },
  { "nat_router", "lab1", "check", {}, "1 received" },
  { "policy_routing", "policy", "check", {}, "h2 -> server: ok, through isp2 (10.2.0.2)" },
  { "router_chain", "chain", "trace", {}, " 5  10.0.4.2     dst" },
  { "iperf_bridge", "iperf", "iperf", {}, "Gbit/s" },
  { "macvlan_hosts", "macvlan", "reach", { "macvlan" }, "12/12 pairs ok" },
  { "ipvlan_hosts", "ipvlan", "reach", { "ipvlan" }, "12/12 pairs ok" },
  { "vxlan_overlay", "vxlan-overlay", "check", { "vxlan" }, "h2 -> 192.168.100.1 over the overlay: ok" },
  { "ipip_servers", "ipip-servers", "check", { "ipip" }, "packets serverA sent into the ipip tunnel" },
  { "gre_servers", "gre-servers", "check", { "gre" }, "packets serverA sent into the gre tunnel" },
  { "impaired_wan", "wan", "demo", {},
    { "the primary fails: the backup carries the traffic", "iperf3 a1 -> b1", "the primary is back" },
    qdiscs = { "qdisc netem" } },
  { "tclink_lab", "tclink", "perf", {}, { "pingAll: 12/12 pairs answer", "iperf h1 -> h4" },
    qdiscs = { "qdisc netem" } },
}

describe("topology examples", function()
  for _, ex in ipairs(EXAMPLES) do
    local file, name, check, kinds, expect = ex[1], ex[2], ex[3], ex[4], ex[5]
    local path = "examples/" .. file .. ".lua"
    local desc = file .. ".lua comes up, " .. check .. " passes, and goes without a trace"
    local test = ex.qdiscs and function(f) H.it_unless(H.tc_lacks(ex.qdiscs), desc, f) end
                 or function(f) H.it_kinds(kinds, desc, f) end
    test(function()
      -- one world for the whole life of the topology: its names are fixed
      local lua = H.lua_cmd() .. " " .. path .. " "
      local r = H.world({ "ip -j link show", lua .. "up", lua .. "status", lua .. check,
                          lua .. "up", lua .. "dot", lua .. "down", "ip netns list",
                          lua .. "status", "ip -j link show" })
      local function ok(i, what)
        assert.are.equal(0, r[i].code, what .. ": " .. r[i].out .. r[i].err)
        return r[i].out
      end
      ok(2, "up")
      local out = ok(3, "status")
      assert.truthy(out:find(" 0 missing, 0 different", 1, true), out)
      out = ok(4, check)
      for _, e in ipairs(type(expect) == "table" and expect or { expect }) do
        assert.truthy(out:find(e, 1, true), out)
      end
      -- a second up finds everything in place
      ok(5, "the second up")
      out = ok(6, "dot")
      assert.truthy(out:find("^graph \"" .. name:gsub("%-", "%%-") .. "\" {"), out)
      if ex.qdiscs then assert.truthy(out:find("color=red", 1, true), out) end
      ok(7, "down")
      assert.are.equal("", r[8].out, "namespaces left behind")
      assert.are.equal(1, r[9].code, "status after down: " .. r[9].out .. r[9].err)
      assert.are.equal(links(r[1].out), links(r[10].out))
    end)
  end

  it("every example script in examples/ that uses vnet.topology is exercised here", function()
    local listed = {}
    for _, ex in ipairs(EXAMPLES) do listed[ex[1] .. ".lua"] = true end
    -- those across two machines: the vm2 tier of tools/test.sh
    local f = assert(io.open("tools/test.sh"))
    local tiers = f:read("*a")
    f:close()
    for _, ex in ipairs({ "wan_servers.lua", "wan_switch.lua" }) do
      assert.truthy(tiers:find("examples/" .. ex, 1, true), ex .. " is not run by the vm2 tier")
      listed[ex] = true
    end
    local _, out = H.sh("grep -l 'vnet.topology' examples/*.lua")
    for f in out:gmatch("examples/([^\n]+)") do
      assert.is_true(listed[f] == true, f .. " is not in the examples spec")
    end
  end)
end)
