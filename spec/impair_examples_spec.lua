-- The impaired-network examples (examples/impaired_wan.lua, tclink_lab.lua)
-- run as a user runs them, each in a world of its own (H.world), the way
-- spec/topology_examples_spec.lua runs the others: up, status, the check,
-- up again, dot, down, and nothing left. They need netem: pending on a
-- kernel without it, failing in the VM tier.
local H = require "spec.helper"

local EXAMPLES = {
  -- file, topology name, check command, what its output must show
  { "impaired_wan", "wan", "demo",
    { "the primary fails: the backup carries the traffic", "iperf3 a1 -> b1", "the primary is back" } },
  { "tclink_lab", "tclink", "perf", { "pingAll: 12/12 pairs answer", "iperf h1 -> h4" } },
}

describe("impaired network examples", function()
  local why = H.tc_lacks{ "qdisc netem" }
  for _, ex in ipairs(EXAMPLES) do
    local file, name, check, expect = ex[1], ex[2], ex[3], ex[4]
    local desc = file .. ".lua comes up, " .. check .. " shows the impairments, and goes without a trace"
    H.it_unless(why, desc, function()
      local lua = H.lua_cmd() .. " examples/" .. file .. ".lua "
      local r = H.world({ lua .. "up", lua .. "status", lua .. check, lua .. "up",
                          lua .. "dot", lua .. "down", "ip netns list" })
      local function ok(i, what)
        assert.are.equal(0, r[i].code, what .. ": " .. r[i].out .. r[i].err)
        return r[i].out
      end
      ok(1, "up")
      local out = ok(2, "status")
      assert.truthy(out:find(" 0 missing, 0 different", 1, true), out)
      out = ok(3, check)
      for _, e in ipairs(expect) do assert.truthy(out:find(e, 1, true), out) end
      ok(4, "the second up")
      out = ok(5, "dot")
      assert.truthy(out:find("^graph \"" .. name .. "\" {"), out)
      assert.truthy(out:find("color=red", 1, true), out)
      ok(6, "down")
      assert.are.equal("", r[7].out, "namespaces left behind")
    end)
  end
end)
