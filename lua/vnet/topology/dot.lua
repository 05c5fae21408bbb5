--- vnet.topology, the Graphviz picture.
-- (`require "vnet.topology"` loads every part.)
-- @module vnet.topology
local B = require "vnet.topology.base"
local T, fmt, impair = B.T, B.fmt, B.impair
-- ---- dot -----------------------------------------------------------------

local function q(s) return '"' .. tostring(s):gsub('"', '\\"') .. '"' end

local function alist(list)
  local t = {}
  for _, a in ipairs(list or {}) do t[#t + 1] = a.cidr end
  return table.concat(t, "\\n")
end

--- net:dot() -> Graphviz DOT text
function T:dot()
  self:_compile()
  local L = { "graph " .. q(self.name) .. " {", "  graph [overlap=false];",
              "  node [fontname=\"Helvetica\", fontsize=10];",
              "  edge [fontname=\"Helvetica\", fontsize=8];" }
  local shapes = { host = "box", router = "box3d", switch = "ellipse", external = "folder" }
  -- a lab across machines: each machine a cluster of its nodes
  local groups = { { nodes = {} } }
  for _, m in ipairs(self.machines) do groups[#groups + 1] = { m = m, nodes = {} } end
  for _, n in ipairs(self.nodes) do
    local g = groups[1]
    for _, x in ipairs(groups) do if x.m and x.m == n.machine then g = x end end
    g.nodes[#g.nodes + 1] = n
  end
  for _, g in ipairs(groups) do
    local ind = "  "
    if g.m then
      L[#L + 1] = fmt("  subgraph %s {", q("cluster_" .. g.m.name))
      L[#L + 1] = fmt("    label=%s; style=rounded;", q(g.m.name .. " (" .. g.m.underlay.ip .. ")"))
      ind = "    "
    end
    for _, n in ipairs(g.nodes) do
      local label = n.name
      if n.kind == "switch" and #n.addrs > 0 then label = label .. "\\n" .. alist(n.addrs) end
      if n.is_machine then label = label .. "\\n(machine)"
      elseif n.kind == "external" then label = label .. "\\n(external)" end
      L[#L + 1] = fmt("%s%s [shape=%s, label=%s];", ind, q(n.name), shapes[n.kind], q(label))
    end
    if g.m then L[#L + 1] = "  }" end
  end
  local function side(e, addrs)
    local s = e.dev
    local a = alist(addrs)
    if a ~= "" then s = s .. "\\n" .. a end
    return q(s)
  end
  -- an impaired cable: its label says each direction's impairment
  local function imp_text(c)
    local t = {}
    for _, p in ipairs({ { c.a, c.b }, { c.b, c.a } }) do
      if p[1].imp then
        t[#t + 1] = fmt("%s->%s: %s", p[1].node.name, p[2].node.name, impair.describe(p[1].imp))
      end
    end
    if #t > 0 then return table.concat(t, "\\n") end
  end
  local function imp_label(c)
    local t = imp_text(c)
    return t and fmt(", label=%s, color=red, fontcolor=red", q(t)) or ""
  end
  for _, c in ipairs(self.cables) do
    L[#L + 1] = fmt("  %s -- %s [taillabel=%s, headlabel=%s%s];", q(c.a.node.name), q(c.b.node.name),
                    side(c.a, c.a.auto or c.a.addrs), side(c.b, c.b.auto or c.b.addrs), imp_label(c))
  end
  for _, t in ipairs(self.tunnels) do
    local it = imp_text(t)
    L[#L + 1] = fmt("  %s -- %s [style=dashed, label=%s, taillabel=%s, headlabel=%s%s];",
                    q(t.a.node.name), q(t.b.node.name), q(it and t.mode .. "\\n" .. it or t.mode),
                    side(t.a, t.a.addrs), side(t.b, t.b.addrs), it and ", color=red, fontcolor=red" or "")
  end
  for _, i in ipairs(self.ifaces) do
    if i.pnode and i.pnode ~= i.node then
      L[#L + 1] = fmt("  %s -- %s [style=dotted, label=%s];", q(i.pnode.name), q(i.node.name),
                      q(i.lkind .. " " .. i.dev .. (#i.addrs > 0 and ("\\n" .. alist(i.addrs)) or "")))
    end
  end
  L[#L + 1] = "}"
  return table.concat(L, "\n") .. "\n"
end

