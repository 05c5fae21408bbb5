-- Every example of a link kind runs as a user runs it (a script, in a new
-- process, with the interpreter and build under test), proves its traffic
-- flows, and leaves nothing behind: no namespace and no change to the
-- caller's links. Examples of kinds the running kernel lacks are pending
-- here and failures in the full-kernel VM tier.
--
-- The examples give their namespaces fixed names, so each runs in a world of
-- its own (H.world: private /run/netns and network namespace): two runs of
-- the suite at once cannot meet, and a run killed halfway leaves nothing.
local H = require "spec.helper"

-- example, the kinds it needs
local examples = {
  { "netns_bridge", { "veth", "bridge" } },   -- `make demo`
  { "vlan", { "vlan" } },
  { "vxlan", { "vxlan" } },
  { "macvlan", { "macvlan" } },
  { "ipvlan", { "ipvlan" } },
  { "tap_bridge", { "tap", "bridge" } },
  { "ipip", { "ipip", "dummy" } },
  { "gre", { "gre" } },
}

-- the caller's links as `ip -j link show` gives them, without counters
local function links(json_text)
  local t = {}
  for _, l in ipairs(require("dkjson").decode(json_text) or {}) do
    t[#t + 1] = table.concat({ l.ifname, l.ifindex, tostring(l.master), l.mtu,
                               table.concat(l.flags or {}, ",") }, " ")
  end
  table.sort(t)
  return t
end

describe("examples", function()
  for _, e in ipairs(examples) do
    local name, kinds = e[1], e[2]
    H.it_kinds(kinds, "examples/" .. name .. ".lua brings its network up, proves traffic "
                      .. "flows and removes everything", function()
      local r = H.world({ "ip -j link show",
                          H.lua_cmd() .. " examples/" .. name .. ".lua",
                          "ip netns list",
                          "ip -j link show" })
      local run = r[2]
      local out = run.out .. run.err
      assert.are.equal(0, run.code, out)
      assert.truthy(run.out:find("\ndone: ", 1, true), out)
      assert.are.equal("", r[3].out, "namespaces left behind")
      assert.are.same(links(r[1].out), links(r[4].out))
    end)
  end

  it("every example script of a link kind is exercised here", function()
    local listed = {}
    for _, e in ipairs(examples) do listed[e[1] .. ".lua"] = true end
    listed["vnet_example.lua"] = true   -- their shared helper, not an example
    local _, out = H.sh("grep -L 'vnet.topology' examples/*.lua")
    for f in out:gmatch("examples/([^\n]+)") do
      assert.is_true(listed[f] == true, f .. " is not in the examples spec")
    end
  end)
end)
