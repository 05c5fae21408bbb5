--- vnet.topology, the plan: the model compiled into the steps of `up`.
-- (`require "vnet.topology"` loads every part.)
-- @module vnet.topology
local B = require "vnet.topology.base"
local T, alloc_next, allocator, ep_desc, fmt, impair = B.T, B.alloc_next, B.allocator, B.ep_desc, B.fmt, B.impair
local hash, nodelabel, parse_cidr = B.hash, B.nodelabel, B.parse_cidr
-- ---- plan ----------------------------------------------------------------



-- allocates addresses, resolves gateways and underlays; builds the steps
function T:_compile()
  if self._plan then return self._plan end
  local steps = {}
  local function step(s) steps[#steps + 1] = s; return s end

  -- every device endpoint, in declaration order
  local eps = {}
  for _, c in ipairs(self.cables) do eps[#eps + 1] = c.a; eps[#eps + 1] = c.b end

  -- address allocation: explicit addresses first, then switches' and cables' subnets
  local allocs = {}
  for _, n in ipairs(self.nodes) do
    if n.kind == "switch" and n.subnet then
      allocs[n] = allocator(n.subnet)
      for _, a in ipairs(n.addrs) do allocs[n].used[a.ip] = true end
    end
  end
  for _, c in ipairs(self.cables) do
    if c.subnet then c.alloc = allocator(c.subnet) end
    for _, e in ipairs({ c.a, c.b }) do
      local sw = e.node.kind ~= "switch" and (e == c.a and c.b or c.a).node
      for _, a in ipairs(e.addrs) do
        if sw and allocs[sw] then allocs[sw].used[a.ip] = true end
        if c.alloc then c.alloc.used[a.ip] = true end
      end
    end
  end
  for _, c in ipairs(self.cables) do
    c.a.auto, c.b.auto = nil, nil
    for _, e in ipairs({ c.a, c.b }) do
      local other = (e == c.a and c.b or c.a).node
      if #e.addrs == 0 and e.node.kind ~= "switch" then
        local al = c.alloc or allocs[other]
        if al then
          e.auto = { alloc_next(al, fmt("link %s -- %s", c.a.node.name, c.b.node.name)) }
        end
      end
    end
  end
  local function addrs_of(e) return e.auto or e.addrs end

  -- names must be unique per namespace
  local names = {}
  local function claim(node, dev, what)
    names[node] = names[node] or {}
    if names[node][dev] then
      error(fmt("%s: device name %s is already used in %s by %s", what, dev,
                node.name, names[node][dev]), 0)
    end
    names[node][dev] = what
  end

  -- segments: the endpoints that share a wire (a cable, or a switch's ports)
  local segs = {}
  for _, n in ipairs(self.nodes) do
    if n.kind == "switch" then
      segs[n] = { { node = n, dev = n.dev, addrs = n.addrs } }
    end
  end
  for _, c in ipairs(self.cables) do
    local seg
    if c.a.node.kind == "switch" then seg = segs[c.a.node]
    elseif c.b.node.kind == "switch" then seg = segs[c.b.node] end
    if seg then
      for _, e in ipairs({ c.a, c.b }) do
        if e.node.kind ~= "switch" then seg[#seg + 1] = { node = e.node, dev = e.dev, addrs = addrs_of(e) } end
      end
      if c.a.node.kind == "switch" and c.b.node.kind == "switch" then
        -- two switches cabled: one wire; merge b's members into a's
        local sa, sb = segs[c.a.node], segs[c.b.node]
        if sa ~= sb then
          for _, m in ipairs(sb) do sa[#sa + 1] = m end
          for k, v in pairs(segs) do if v == sb then segs[k] = sa end end
        end
      end
    else
      segs[c] = { { node = c.a.node, dev = c.a.dev, addrs = addrs_of(c.a) },
                  { node = c.b.node, dev = c.b.dev, addrs = addrs_of(c.b) } }
    end
  end
  for _, t in ipairs(self.tunnels) do
    segs[t] = { { node = t.a.node, dev = t.a.dev, addrs = t.a.addrs },
                { node = t.b.node, dev = t.b.dev, addrs = t.b.addrs } }
  end
  local seglist, seen = {}, {}
  local function addseg(s) if not seen[s] then seen[s] = true; seglist[#seglist + 1] = s end end
  for _, n in ipairs(self.nodes) do if segs[n] then addseg(segs[n]) end end
  for _, c in ipairs(self.cables) do if segs[c] then addseg(segs[c]) end end
  for _, t in ipairs(self.tunnels) do addseg(segs[t]) end
  self._segs = seglist

  -- each node's addresses in declaration order (cables, ifaces, extras; then tunnels)
  local naddrs = {}
  local function note(node, list, kind)
    naddrs[node] = naddrs[node] or {}
    for _, a in ipairs(list) do table.insert(naddrs[node], { addr = a, kind = kind }) end
  end
  for _, c in ipairs(self.cables) do note(c.a.node, addrs_of(c.a), "cable"); note(c.b.node, addrs_of(c.b), "cable") end
  for _, n in ipairs(self.nodes) do
    if n.kind == "switch" then
      note(n, n.addrs, "switch")
      if n.at ~= self.fabric then note(n.at, n.addrs, "switch") end
    end
  end
  for _, i in ipairs(self.ifaces) do note(i.node, i.addrs, "iface") end
  for _, x in ipairs(self.extra_addrs) do note(x.node, { x.addr }, x.dev == "lo" and "lo" or "extra") end
  for _, t in ipairs(self.tunnels) do note(t.a.node, t.a.addrs, "tunnel"); note(t.b.node, t.b.addrs, "tunnel") end
  self._naddrs = naddrs

  local function first_addr(node, family, notunnel)
    for _, a in ipairs(naddrs[node] or {}) do
      if (not family or a.addr.family == family) and not (notunnel and a.kind == "tunnel")
         and a.kind ~= "lo" then
        return a.addr
      end
    end
    for _, a in ipairs(naddrs[node] or {}) do
      if (not family or a.addr.family == family) and a.kind == "lo" then return a.addr end
    end
  end
  self._first_addr = first_addr

  -- 1. namespaces: the switches' (of each machine with switches or parts
  -- of stretched ones), the hosts' and routers'
  local owned, seenf = {}, {}
  local function fabric(f)
    if f.kind == "fabric" and not seenf[f] then seenf[f] = true; owned[#owned + 1] = f end
  end
  for _, n in ipairs(self.nodes) do
    if n.kind == "switch" then
      fabric(n.at)
      for _, m in ipairs(n.parts or {}) do fabric(self:_fabric(m)) end
    end
  end
  for _, n in ipairs(self.nodes) do
    if n.kind == "host" or n.kind == "router" then owned[#owned + 1] = n end
  end
  for _, n in ipairs(owned) do
    claim(n, "lo", "loopback")
    step{ kind = "netns", node = n, what = fmt("namespace %s (%s %s)", n.nsname,
          n.kind == "fabric" and "switches of" or n.kind, n.name) }
  end
  -- 2. sysctls (also of machines: the seed's ip_forward on a server)
  local sys = {}
  for _, n in ipairs(self.machines) do sys[#sys + 1] = n end
  for _, n in ipairs(owned) do sys[#sys + 1] = n end
  for _, n in ipairs(sys) do
    for _, kv in ipairs(n.nsys) do
      step{ kind = "sysctl", node = n, key = kv[1], value = kv[2],
            what = fmt("sysctl %s=%s on %s", kv[1], kv[2], n.name) }
    end
  end
  -- 3. switches (and the parts of a stretched one on other machines,
  -- joined by a VXLAN port in each with the other machines as remotes)
  local nsw = 0
  for _, n in ipairs(self.nodes) do
    if n.kind == "switch" then
      nsw = nsw + 1
      claim(n.at, n.dev, "switch " .. n.name)
      step{ kind = "bridge", node = n.at, sw = n, dev = n.dev,
            what = fmt("switch %s (bridge %s in %s)", n.name, n.dev, nodelabel(n.at)) }
      if n.parts then
        local ms = { n.machine }
        for _, m in ipairs(n.parts) do
          ms[#ms + 1] = m
          local f = self:_fabric(m)
          claim(f, n.dev, "switch " .. n.name)
          step{ kind = "bridge", node = f, sw = n, dev = n.dev, part = true,
                what = fmt("switch %s on %s (bridge %s in %s)", n.name, m.name, n.dev, f.nsname) }
        end
        local vni = (hash(self.name) % 4096) * 4096 + 2048 + nsw
        for _, m in ipairs(ms) do
          local f = self:_fabric(m)
          local remotes = {}
          for _, r in ipairs(ms) do if r ~= m then remotes[#remotes + 1] = r.underlay.ip end end
          local dev = "vxs" .. nsw
          claim(f, dev, "switch " .. n.name)
          step{ kind = "stretch", node = f, sw = n, dev = dev, machine = m, remotes = remotes,
                fixed = { id = vni, ["local"] = m.underlay.ip, dstport = 4789 },
                what = fmt("switch %s stretched from %s to %s (vxlan %d)", n.name, m.name,
                           table.concat(remotes, ", "), vni) }
        end
      end
    end
  end
  -- 4. cables (between two machines: a tunnel end on each)
  local nwan = 0
  for _, c in ipairs(self.cables) do
    local what = fmt("cable %s -- %s", ep_desc(c.a), ep_desc(c.b))
    claim(c.a.ns, c.a.dev, what)
    claim(c.b.ns, c.b.dev, what)
    local sw = (c.a.node.kind == "switch" and c.a.node) or (c.b.node.kind == "switch" and c.b.node)
    -- the cable's MTU: a stretched switch's cables carry VXLAN's unless given one
    local mtu = c.mtu or (sw and sw.parts and B.WAN.vxlan.mtu) or nil
    if c.wan then
      nwan = nwan + 1
      local id = (hash(self.name) % 4096) * 4096 + nwan
      for _, e in ipairs({ c.a, c.b }) do
        local o = e == c.a and c.b or c.a
        local m, r = e.ns.machine, o.ns.machine
        local fixed = { remote = r.underlay.ip }
        if c.wan ~= "geneve" then fixed["local"] = m.underlay.ip end
        if c.wan == "vxlan" or c.wan == "geneve" then fixed.id = id end
        if c.wan == "vxlan" then fixed.dstport = 4789 end
        if c.wan == "gre" or c.wan == "gretap" then fixed.key = id end
        step{ kind = "wan", node = e.ns, e = e, mode = c.wan, machine = m, fixed = fixed,
              mtu = e.mtu or c.mtu or B.WAN[c.wan].mtu,
              what = fmt("%s (%s end: %s to %s on %s)", what, ep_desc(e), c.wan, r.underlay.ip, r.name) }
      end
    else
      -- made from the external side if there is one, so undo deletes it there
      local first, second = c.a, c.b
      if c.b.ns.kind == "external" and c.a.ns.kind ~= "external" then first, second = c.b, c.a end
      step{ kind = "cable", node = first.ns, first = first, second = second, mtu = mtu,
            what = what }
    end
  end
  -- 5. other links
  for _, i in ipairs(self.ifaces) do
    local what = fmt("link %s:%s (%s)", i.node.name, i.dev, i.lkind)
    claim(i.node, i.dev, what)
    step{ kind = "iface", node = i.node, i = i, what = what }
  end
  -- 6. tunnels
  for _, t in ipairs(self.tunnels) do
    for _, e in ipairs({ t.a, t.b }) do
      local other = e == t.a and t.b or t.a
      local fam = (t.mode:match("^ip6") and "inet6") or nil
      -- (a machine's own underlay first)
      local lo = e.underlay or (e.node.is_machine and e.node.underlay.ip)
                 or (first_addr(e.node, fam or "inet", true) or {}).ip
      local re = other.underlay or (other.node.is_machine and other.node.underlay.ip)
                 or (first_addr(other.node, fam or "inet", true) or {}).ip
      if not lo or not re then
        error(fmt("tunnel %s -- %s: no underlay address for %s; give via = { [node] = address }",
                  t.a.node.name, t.b.node.name, lo and other.node.name or e.node.name), 0)
      end
      local what = fmt("tunnel %s:%s (%s to %s)", e.node.name, e.dev, t.mode, re)
      claim(e.node, e.dev, what)
      step{ kind = "tunnel", node = e.node, t = t, e = e, lo = lo, re = re, what = what }
    end
  end
  -- 6b. impairments (the egress of each end that has one)
  for _, c in ipairs(self.cables) do
    for _, e in ipairs({ c.a, c.b }) do
      if e.imp then
        step{ kind = "impair", node = e.ns, e = e,
              what = fmt("impairment on %s (%s)", ep_desc(e), impair.describe(e.imp)) }
      end
    end
  end
  for _, t in ipairs(self.tunnels) do
    for _, e in ipairs({ t.a, t.b }) do
      if e.imp then
        step{ kind = "impair", node = e.node, e = e,
              what = fmt("impairment on %s:%s (%s)", e.node.name, e.dev, impair.describe(e.imp)) }
      end
    end
  end
  -- 7. addresses
  local function addr_step(node, dev, a)
    step{ kind = "addr", node = node, dev = dev, addr = a,
          what = fmt("address %s on %s:%s", a.cidr, node.name, dev) }
  end
  for _, n in ipairs(self.nodes) do
    if n.kind == "switch" then for _, a in ipairs(n.addrs) do addr_step(n.at, n.dev, a) end end
  end
  for _, c in ipairs(self.cables) do
    for _, e in ipairs({ c.a, c.b }) do
      for _, a in ipairs(addrs_of(e)) do addr_step(e.ns, e.dev, a) end
    end
  end
  for _, i in ipairs(self.ifaces) do for _, a in ipairs(i.addrs) do addr_step(i.node, i.dev, a) end end
  for _, t in ipairs(self.tunnels) do
    for _, e in ipairs({ t.a, t.b }) do for _, a in ipairs(e.addrs) do addr_step(e.node, e.dev, a) end end
  end
  for _, x in ipairs(self.extra_addrs) do
    if x.node.kind == "external" and not (names[x.node] and names[x.node][x.dev]) then
      error(fmt("address %s on %s:%s: the topology does not make %s in external %s, so it could not remove the address",
                x.addr.cidr, x.node.name, x.dev, x.dev, x.node.name), 0)
    end
    addr_step(x.node, x.dev, x.addr)
  end
  -- 8. routes
  for _, r in ipairs(self.routes) do
    local gw = r.gateway
    if r.vianode then
      -- the gateway node's address on a subnet it shares with the node
      local function shared(fam)
        for _, sg in ipairs(seglist) do
          local mine, theirs
          for _, m in ipairs(sg) do
            for _, a in ipairs(m.addrs) do
              if a.family == fam then
                if m.node == r.node and not mine then mine = a end
                if m.node == r.vianode and not theirs then theirs = a end
              end
            end
          end
          if mine and theirs then return theirs.ip end
        end
      end
      local fams = r.d and { r.d.family } or { "inet", "inet6" }
      for _, fam in ipairs(fams) do
        gw = gw or shared(fam)
      end
      if not gw then
        error(fmt("route %s on %s via %s: %s shares no %s subnet with %s", r.dst, r.node.name,
                  r.vianode.name, r.vianode.name, table.concat(fams, " or "), r.node.name), 0)
      end
    end
    local fam = r.d and r.d.family or (gw and parse_cidr(gw).family) or "inet"
    local dst = r.dst == "default" and "default" or r.d.cidr
    local desc = fmt("route %s%s%s%s on %s", dst, gw and (" via " .. gw) or "",
                     r.opts.dev and (" dev " .. r.opts.dev) or "",
                     r.opts.table and (" table " .. r.opts.table) or "", r.node.name)
    step{ kind = "route", node = r.node, r = r, gw = gw, family = fam, dst = dst, what = desc }
  end
  -- 9. rules
  for _, r in ipairs(self.rules) do
    local o = r.opts
    local parts = {}
    for _, k in ipairs({ "priority", "from", "to", "iif", "oif", "fwmark", "table", "action" }) do
      if o[k] ~= nil then parts[#parts + 1] = k .. " " .. tostring(o[k]) end
    end
    step{ kind = "rule", node = r.node, rule = o,
          what = fmt("rule %s on %s", table.concat(parts, " "), r.node.name) }
  end
  -- 10. nat
  for _, x in ipairs(self.nats) do
    local d = {}
    if x.opts.out then d[#d + 1] = "masquerade out " .. x.opts.out end
    for _, f in ipairs(x.opts.forward or {}) do
      d[#d + 1] = fmt("%s port %s to %s", f.proto or "tcp", f.port, f.to)
    end
    step{ kind = "nat", node = x.node, nat = x.opts,
          what = fmt("nat on %s (%s)", x.node.name, table.concat(d, ", ")) }
  end
  -- each step on its node's machine; a slice keeps its machine's steps
  if self.machines[1] then
    local mine = {}
    for _, s in ipairs(steps) do
      s.machine = s.machine or s.node.machine or self.machines[1]
      if not self.slice or s.machine == self.slice then mine[#mine + 1] = s end
    end
    steps = mine
  end
  for i, s in ipairs(steps) do s.index = i end
  self._plan = steps
  return steps
end

--- net:steps() -> list of { index =, kind =, what = }: the steps `up`
-- probes, in order (each makes or checks one object of the script)
function T:steps()
  local ok, steps = pcall(self._compile, self)
  if not ok then error(steps, 2) end
  local out = {}
  for i, s in ipairs(steps) do out[i] = { index = i, kind = s.kind, what = s.what } end
  return out
end

