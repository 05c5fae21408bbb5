--- vnet.topology, the steps: one row per kind of step (probe, apply and its undo).
-- (`require "vnet.topology"` loads every part.)
-- @module vnet.topology
local B = require "vnet.topology.base"
local T, addr_matches, copy, ep_desc, fmt, impair = B.T, B.addr_matches, B.copy, B.ep_desc, B.fmt, B.impair
local nft_table, parse_cidr, proto_of, renamed, rule_family, rule_matches = B.nft_table, B.parse_cidr, B.proto_of, B.renamed, B.rule_family, B.rule_matches
local hash, run, same_dst, stale_file, tagged, tmp_name, vnet = B.hash, B.run, B.same_dst, B.stale_file, B.tagged, B.tmp_name, B.vnet
-- ---- probes and actions, per step kind -----------------------------------

local K = {}



T._tmp_name = function(self, i) return tmp_name(self, { index = i }) end

-- ---- links: probe, change in place, replace, remove with an exact undo --

-- whether a setting read back (link.info) is the one the script gives
local function same_setting(got, want)
  if type(got) == "boolean" and type(want) == "number" then return got == (want ~= 0) end
  if type(want) == "boolean" and type(got) == "number" then return want == (got ~= 0) end
  if type(got) == "string" and type(want) == "string" then return got:lower() == want:lower() end
  return got == want
end

-- A link's state relative to the script: state, detail, how, old, new.
-- state "present" | "missing" | "different"; for "different", how says
-- what converges it: "change" (set in place: `old` and `new` are set{}
-- options, a master by name, kind settings under info), "replace" (only a
-- new link has what the script says) or nil (not this topology's: refused).
-- want: { kind =, mtu =, mac =, master =, info = { settable kind settings },
-- fixed = { kind settings only a new link changes }, tag = false }
local function probe_link(self, h, dev, want)
  local l = h:link(dev)
  if not l then return "missing", dev .. " does not exist" end
  if want.tag ~= false and not tagged(self, l) then
    return "different", dev .. " exists but was not made by topology " .. self.name
  end
  if want.kind and l.kind ~= want.kind then
    return "different", fmt("%s is a %s link, not %s", dev, tostring(l.kind), want.kind), "replace"
  end
  local info = l.info or {}
  for k, v in pairs(want.fixed or {}) do
    if info[k] ~= nil and not same_setting(info[k], v) then
      return "different", fmt("%s has %s %s, not %s", dev, k, tostring(info[k]), tostring(v)), "replace"
    end
  end
  local old, new, why = {}, {}, {}
  for k, v in pairs(want.info or {}) do
    if info[k] ~= nil and not same_setting(info[k], v) then
      old.info, new.info = old.info or {}, new.info or {}
      old.info[k], new.info[k] = info[k], v
      why[#why + 1] = fmt("%s %s, not %s", k, tostring(info[k]), tostring(v))
    end
  end
  if want.mtu and l.mtu ~= want.mtu then
    old.mtu, new.mtu = l.mtu, want.mtu
    why[#why + 1] = fmt("mtu %d, not %d", l.mtu, want.mtu)
  end
  if want.mac and l.address ~= want.mac:lower() then
    old.address, new.address = l.address, want.mac:lower()
    why[#why + 1] = fmt("address %s, not %s", tostring(l.address), want.mac:lower())
  end
  if want.master then
    local m = h:link(want.master)
    if not m or l.master ~= m.index then
      local cur = l.master and h:link(l.master)
      old.master, new.master = cur and cur.name or false, want.master
      why[#why + 1] = "not a port of " .. want.master
    end
  end
  if not l.up then
    old.up, new.up = false, true
    why[#why + 1] = "down"
  end
  if next(new) then return "different", dev .. ": " .. table.concat(why, ", "), "change", old, new end
  return "present", nil, nil, nil, nil, l
end

-- sets link dev of h as t says (probe_link's old/new)
local function link_set(h, dev, t)
  local l, msg, err = h:link(dev)
  if not l then return nil, msg, err end
  local o = {}
  for k, v in pairs(t) do if k ~= "info" then o[k] = v end end
  if o.master then
    local m
    m, msg, err = h:link(o.master)
    if not m then return nil, msg, err end
    o.master = m
  end
  local ok = true
  if t.info then ok, msg, err = l:set_info(t.info) end
  if ok and next(o) then ok, msg, err = l:set(o) end
  if not ok then return nil, msg, err end
  return true
end

-- changes a link in place; undone by setting the old values back
local function change_link(self, s, h, dev, old, new, tx)
  tx:did(s, s.node, function() return link_set(h, dev, old) end)
  return link_set(h, dev, new)
end

-- Everything it takes to make link l of h again as it is: its settings
-- (its kind's options as link.info reads them back), its addresses, the
-- routes through it, its impairment, and a veth's peer with the same.
local ROUTE_FIELDS = { "dst", "family", "table", "gateway", "src", "metric", "scope",
                       "protocol", "type", "mtu", "onlink" }
-- the routes through link l of h that the kernel did not make itself, as
-- route_add options (what deleting the link, or an address of it, drops)
local function routes_of(h, l)
  local out = {}
  for _, fam in ipairs({ "inet", "inet6" }) do
    for r in h:routes{ family = fam, table = "all" } or function() end do
      if r.dev == l.index and proto_of(r.protocol) ~= "kernel" and r.table ~= "local"
         and r.type ~= "multicast" then
        local o = {}
        for _, k in ipairs(ROUTE_FIELDS) do o[k] = r[k] end
        if o.dst == "default" and fam == "inet6" then o.dst = "::/0" end
        o.dev = l.name
        out[#out + 1] = o
      end
    end
  end
  return out
end
B.routes_of = routes_of

-- puts back routes (routes_of) the kernel dropped
local function put_back(h, routes)
  for _, r in ipairs(routes) do
    local ok, msg, err = h:route_add(r)
    if not ok and err ~= "EEXIST" then return nil, msg, err end
  end
  return true
end
B.put_back = put_back

local function snap_end(h, l)
  local e = { h = h, name = l.name, mtu = l.mtu, address = l.address, alias = l.alias,
              up = l.up, addrs = {}, routes = {} }
  if l.master then
    local m = h:link(l.master)
    e.master = m and m.name
  end
  local imp = l:impairment()
  if imp and next(imp) then e.imp = imp end
  for a in h:addrs{ dev = l.name } or function() end do
    if not (a.family == "inet6" and a.address:lower():match("^fe80:")) then
      e.addrs[#e.addrs + 1] = { address = a.address .. "/" .. a.prefixlen, family = a.family,
                                peer = a.peer, label = a.label }
    end
  end
  e.routes = routes_of(h, l)
  return e
end

local function snap_link(h, l)
  local s = snap_end(h, l)
  s.kind, s.opts = l.kind, {}
  local ok, row = pcall(vnet.core.kind, l.kind)
  if ok and row and l.kind ~= "veth" then
    for _, k in ipairs(row.options or {}) do
      if l.info and l.info[k] ~= nil then s.opts[k] = l.info[k] end
    end
  end
  if l.kind == "veth" and l.info and l.info.peer_index then
    local ph = h
    if l.link_netns then ph = vnet.netns.open(l.link_netns) end
    local p = ph and ph:link(l.info.peer_index)
    if p then s.peer = snap_end(ph, p) end
  end
  return s
end

-- a link's address when it is a MAC address (a tunnel's is its endpoint
-- address, which the kernel sets itself)
local function mac(a)
  if type(a) == "string" and a:match("^%x%x:%x%x:%x%x:%x%x:%x%x:%x%x$") then return a end
end

-- makes a snapped link again, then its addresses, routes and impairment
local function restore_link(s)
  local o = copy(s.opts)
  o.name, o.kind, o.mtu, o.address = s.name, s.kind, s.mtu, mac(s.address)
  if s.peer then
    o.peer = { name = s.peer.name, mtu = s.peer.mtu, address = mac(s.peer.address),
               netns = s.peer.h ~= s.h and s.peer.h or nil }
  end
  local l, msg, err = s.h:link_add(o)
  if not l then return nil, msg, err end
  local ends = { s, s.peer }
  for _, e in ipairs(ends) do
    local ok
    ok, msg, err = link_set(e.h, e.name, { alias = e.alias, up = e.up, master = e.master })
    if not ok then return nil, msg, err end
  end
  for _, e in ipairs(ends) do
    for _, a in ipairs(e.addrs) do
      local ok
      ok, msg, err = e.h:addr_add{ dev = e.name, address = a.address, peer = a.peer,
                                   label = a.label, flags = a.family == "inet6" and { "nodad" } or nil }
      if not ok and err ~= "EEXIST" then return nil, msg, err end
    end
    local ok
    ok, msg, err = put_back(e.h, e.routes)
    if not ok then return nil, msg, err end
    if e.imp then
      local ok
      ok, msg, err = assert(e.h:link(e.name)):impair(e.imp)
      if not ok then return nil, msg, err end
    end
  end
  return true
end

-- removes link l of h (with its impairment's ifb), undone by making it again
local function remove_link(self, s, h, l, tx)
  local snap = snap_link(h, l)
  if snap.imp then
    local ok, msg, err = l:impair(false)
    if not ok then return nil, msg, err end
  end
  tx:did(s, nil, function()
    if h:link(snap.name) then
      if snap.imp then return assert(h:link(snap.name)):impair(snap.imp) end
      return true
    end
    return restore_link(snap)
  end)
  local ok, msg, err = l:delete()
  if not ok and h:link(l.name) then return nil, msg, err end
  return true
end
B.remove_link = remove_link

-- the fix of a link step's difference (how, old, new from probe_link)
local function link_fix(self, s, h, dev, how, old, new)
  if how == "change" then
    return { op = "change", old = old, new = new,
             run = function(_, _, _, tx) return change_link(self, s, h, dev, old, new, tx) end }
  elseif how == "replace" then
    return { op = "replace",
             run = function(_, _, _, tx)
               local l = h:link(dev)
               if l then
                 local ok, msg, err = remove_link(self, s, h, l, tx)
                 if not ok then return nil, msg, err end
               end
               return K[s.kind].apply(self, s, h, tx)
             end }
  end
end

-- K.<kind> = { probe = fn(self, s, h) -> state, detail, fix;
--              apply = fn(self, s, h, tx) -> ok | nil, msg, errname }
-- fix (for "different"): { op = "change"|"replace", old =, new =,
-- run = fn(self, s, h, tx) }; none: the difference is refused.

K.netns = {
  probe = function(self, s)
    local h = self:_open(s.node)
    if not h then
      if stale_file(s.node.nsname) then
        return "different", "/run/netns/" .. s.node.nsname .. " is left from a namespace never made or half removed"
      end
      return "missing", "namespace " .. s.node.nsname .. " does not exist"
    end
    local lo = h:link("lo")
    if not tagged(self, lo) then
      return "different", "namespace " .. s.node.nsname .. " exists but was not made by topology " .. self.name
    end
    if not lo.up then
      return "different", "lo is down in " .. s.node.nsname,
             link_fix(self, s, h, "lo", "change", { up = false }, { up = true })
    end
    return "present"
  end,
  apply = function(self, s, _, tx)
    -- made without a name, tagged, then named: whatever carries one of our
    -- names without the tag on its lo was not made by this topology
    local h, msg, err = vnet.netns.new()
    if not h then return nil, msg, err end
    local lo, ok
    lo, msg, err = h:link("lo")
    if lo then ok, msg, err = lo:set{ alias = self.tag, up = true } end
    if ok then ok, msg, err = h:pin(s.node.nsname) end
    if not ok then
      h:close()
      return nil, msg, err
    end
    self._h[s.node] = h
    tx.fresh[s.node] = true
    tx:did(s, nil, function()
      self._h[s.node] = nil
      pcall(h.close, h)
      return vnet.netns.delete(s.node.nsname)
    end)
    return true
  end,
}

K.sysctl = {
  probe = function(_, s, h)
    local v, msg = h:sysctl(s.key)
    if v == nil then return "missing", tostring(msg) end
    v = tostring(v):gsub("%s+$", "")
    if v ~= s.value then
      return "different", fmt("%s is %s, not %s", s.key, v, s.value),
             { op = "change", old = { [s.key] = v }, new = { [s.key] = s.value }, run = K.sysctl.apply }
    end
    return "present"
  end,
  apply = function(_, s, h, tx)
    local old = h:sysctl(s.key)
    local ok, msg, err = h:sysctl(s.key, s.value)
    if not ok then return nil, msg, err end
    if old ~= nil then
      tx:did(s, s.node, function() return h:sysctl(s.key, (tostring(old):gsub("%s+$", ""))) end)
    end
    return true
  end,
}

K.bridge = {
  probe = function(self, s, h)
    local st, d, how, old, new = probe_link(self, h, s.dev, { kind = "bridge", mtu = s.sw.opts.mtu,
                                                              info = s.sw.opts.bridge })
    return st, d, link_fix(self, s, h, s.dev, how, old, new)
  end,
  apply = function(self, s, h, tx)
    local o = copy(s.sw.opts.bridge)
    o.name, o.kind, o.mtu = s.dev, "bridge", s.sw.opts.mtu
    if s.node.kind == "external" then o.name = tmp_name(self, s) end
    local l, msg, err = h:link_add(o)
    if not l then return nil, msg, err end
    tx:did(s, s.node, function() return l:delete() end)
    return l:set{ name = renamed(o.name, s.dev), alias = self.tag, up = true }
  end,
}

-- a veth pair's two ends are each other's peer
local function paired(l1, l2)
  return l1 and l2 and l1.info and l2.info and l1.info.peer_index == l2.index
         and l2.info.peer_index == l1.index
end

K.cable = {
  probe = function(self, s, h)
    local f, g = s.first, s.second
    local h2 = self:_open(g.ns)
    local st1, d1, how1, o1, n1, l1 = probe_link(self, h, f.dev, { kind = "veth", mtu = f.mtu or s.mtu,
                                                                    master = f.master, mac = f.mac })
    local st2, d2, how2, o2, n2, l2 = "missing", g.dev .. " does not exist"
    if h2 then
      st2, d2, how2, o2, n2, l2 = probe_link(self, h2, g.dev, { kind = "veth", mtu = g.mtu or s.mtu,
                                                                 master = g.master, mac = g.mac })
    end
    if st1 == "different" and not how1 then return st1, d1 end
    if st2 == "different" and not how2 then return st2, d2 end
    if st1 == "missing" and st2 == "missing" then return "missing", d1 end
    local detail
    if st1 == "missing" then detail = fmt("%s is missing but %s exists", ep_desc(f), ep_desc(g))
    elseif st2 == "missing" then detail = fmt("%s is missing but %s exists", ep_desc(g), ep_desc(f))
    elseif how1 == "replace" then detail = d1
    elseif how2 == "replace" then detail = d2
    else
      if not l1 then l1 = h:link(f.dev) end
      if not l2 then l2 = h2:link(g.dev) end
      if not paired(l1, l2) then
        detail = fmt("%s and %s are not the two ends of one cable", ep_desc(f), ep_desc(g))
      end
    end
    if detail then
      -- what is there goes (ours only: probe_link refused the rest), and
      -- the cable is made as the script says
      return "different", detail, { op = "replace", run = function(_, _, _, tx)
        for _, e in ipairs({ { h, f.dev }, { h2, g.dev } }) do
          local l = e[1] and e[1]:link(e[2])
          if l then
            local ok, msg, err = remove_link(self, s, e[1], l, tx)
            if not ok then return nil, msg, err end
          end
        end
        return K.cable.apply(self, s, h, tx)
      end }
    end
    if st1 == "present" and st2 == "present" then return "present" end
    return "different", d1 or d2, {
      op = "change", old = { [ep_desc(f)] = o1, [ep_desc(g)] = o2 },
      new = { [ep_desc(f)] = n1, [ep_desc(g)] = n2 },
      run = function(_, _, _, tx)
        if n1 then
          local ok, msg, err = change_link(self, s, h, f.dev, o1, n1, tx)
          if not ok then return nil, msg, err end
        end
        if n2 then return change_link(self, s, h2, g.dev, o2, n2, tx) end
        return true
      end }
  end,
  apply = function(self, s, h, tx)
    local f, g = s.first, s.second
    local h2, m0, e0 = self:_open(g.ns)
    if not h2 then return nil, m0, e0 end
    local peer = { name = g.dev, mtu = g.mtu or s.mtu, address = g.mac }
    if h2 ~= h then peer.netns = h2 end
    -- the end in an external namespace (if any) is `first`: born under a
    -- temporary name; its twin goes wherever it goes
    local name = f.ns.kind == "external" and tmp_name(self, s) or f.dev
    local l, msg, err = h:link_add{ name = name, kind = "veth", mtu = f.mtu or s.mtu,
                                    address = f.mac, peer = peer }
    if not l then return nil, msg, err end
    -- (undone even in a namespace this transaction made when its twin is
    -- elsewhere: the twin's name may have to be free again before that
    -- namespace goes)
    tx:did(s, h2 == h and s.node or nil, function() return l:delete() end)
    local ok
    ok, msg, err = l:set{ name = renamed(name, f.dev), alias = self.tag, up = true,
                          master = f.master }
    if not ok then return nil, msg, err end
    local p
    p, msg, err = h2:link(g.dev)
    if not p then return nil, msg, err end
    return p:set{ alias = self.tag, up = true, master = g.master }
  end,
}

K.iface = {
  probe = function(self, s, h)
    local fixed = copy(s.i.kopts)
    fixed.parent, fixed.name, fixed.peer = nil, nil, nil
    local st, d, how, old, new = probe_link(self, h, s.i.dev, { kind = s.i.lkind, mtu = s.i.mtu,
                                                                fixed = fixed })
    return st, d, link_fix(self, s, h, s.i.dev, how, old, new)
  end,
  apply = function(self, s, h, tx)
    local i = s.i
    local o = copy(i.kopts)
    o.name, o.kind, o.mtu = i.dev, i.lkind, i.mtu
    local where = h
    if s.node.kind == "external" then o.name = tmp_name(self, s) end
    if i.pnode then
      local ph, m0, e0 = self:_open(i.pnode)
      if not ph then return nil, m0, e0 end
      o.parent = i.pdev
      if ph ~= h then
        -- made in the parent's namespace and moved at once; some kernels
        -- check the name there too, so it is born with a temporary one
        o.netns = h
        o.name = tmp_name(self, s)
      end
      where = ph
    end
    local l, msg, err = where:link_add(o)
    if not l then return nil, msg, err end
    l, msg, err = h:link(o.name)
    if not l then return nil, msg, err end
    tx:did(s, s.node, function() return l:delete() end)
    return l:set{ name = renamed(o.name, i.dev), alias = self.tag, up = true }
  end,
}

-- tunnel kinds that take no local address
local NO_LOCAL = { geneve = true }

-- A tunnel device for a cable or switch between machines: made in the
-- machine's own namespace, where the underlay is (the device keeps its
-- socket there), straight into namespace h, under a temporary name; then
-- named, tagged and set up there. o: link_add options.
local function underlay_link(self, s, h, o, set, tx)
  local hm, msg, err = self:_open(s.machine)
  if not hm then return nil, msg, err end
  o.name = tmp_name(self, s)
  if hm ~= h then o.netns = h end
  local l
  l, msg, err = hm:link_add(o)
  if not l then return nil, msg, err end
  l, msg, err = h:link(o.name)
  if not l then return nil, msg, err end
  tx:did(s, s.node, function() return l:delete() end)
  set.alias, set.up = self.tag, true
  return l:set(set)
end

-- one end of a cable between two machines: a tunnel to the other's underlay
K.wan = {
  probe = function(self, s, h)
    local st, d, how, old, new = probe_link(self, h, s.e.dev, { kind = s.mode, mtu = s.mtu,
                                                                fixed = s.fixed, mac = s.e.mac })
    return st, d, link_fix(self, s, h, s.e.dev, how, old, new)
  end,
  apply = function(self, s, h, tx)
    local o = copy(s.fixed)
    o.kind, o.mtu, o.address = s.mode, s.mtu, s.e.mac
    return underlay_link(self, s, h, o, { name = s.e.dev }, tx)
  end,
}

-- a stretched switch's VXLAN port on one machine, with every other machine
-- of the switch as a remote (head-end replication: `bridge fdb append
-- 00:00:00:00:00:00 dev vxsN dst REMOTE`)
local ZERO = "00:00:00:00:00:00"
local function fdb_remotes(self, s, h, list, tx)
  for _, r in ipairs(list) do
    local f, msg, err = h:fdb_append{ dev = s.dev, lladdr = ZERO, dst = r }
    if not f then return nil, msg, err end
    tx:did(s, s.node, function() return h:fdb_del{ dev = s.dev, lladdr = ZERO, dst = r } end)
  end
  return true
end
K.stretch = {
  probe = function(self, s, h)
    local st, d, how, old, new = probe_link(self, h, s.dev, { kind = "vxlan", mtu = B.WAN.vxlan.mtu,
                                                              master = s.sw.dev, fixed = s.fixed })
    if st ~= "present" then return st, d, link_fix(self, s, h, s.dev, how, old, new) end
    local have = {}
    for f in h:fdbs{ dev = s.dev } or function() end do
      if f.lladdr == ZERO and f.dst then have[f.dst] = true end
    end
    local missing = {}
    for _, r in ipairs(s.remotes) do if not have[r] then missing[#missing + 1] = r end end
    if #missing == 0 then return "present" end
    return "different", fmt("%s lacks the remotes %s", s.dev, table.concat(missing, ", ")),
           { op = "change", new = { remotes = missing },
             run = function(_, _, _, tx) return fdb_remotes(self, s, h, missing, tx) end }
  end,
  apply = function(self, s, h, tx)
    local o = copy(s.fixed)
    o.kind, o.mtu = "vxlan", B.WAN.vxlan.mtu
    local ok, msg, err = underlay_link(self, s, h, o, { name = s.dev, master = s.sw.dev }, tx)
    if not ok then return nil, msg, err end
    return fdb_remotes(self, s, h, s.remotes, tx)
  end,
}

K.tunnel = {
  probe = function(self, s, h)
    local fixed = copy(s.t.kopts)
    fixed.remote = s.re
    if not NO_LOCAL[s.t.mode] then fixed["local"] = s.lo end
    local st, d, how, old, new = probe_link(self, h, s.e.dev, { kind = s.t.mode,
                                                                mtu = s.e.mtu or s.t.mtu, fixed = fixed })
    return st, d, link_fix(self, s, h, s.e.dev, how, old, new)
  end,
  apply = function(self, s, h, tx)
    local o = copy(s.t.kopts)
    o.name, o.kind, o.mtu = s.e.dev, s.t.mode, s.e.mtu or s.t.mtu
    o.remote = s.re
    if not NO_LOCAL[s.t.mode] then o["local"] = s.lo end
    if s.node.kind == "external" then o.name = tmp_name(self, s) end
    local l, msg, err = h:link_add(o)
    if not l then return nil, msg, err end
    tx:did(s, s.node, function() return l:delete() end)
    return l:set{ name = renamed(o.name, s.e.dev), alias = self.tag, up = true }
  end,
}

-- the egress impairment of one end (vnet.impair); a different one is
-- changed in place by `up` (converge), not refused
K.impair = {
  probe = function(_, s, h)
    local l = h:link(s.e.dev)
    if not l then return "missing", s.e.dev .. " does not exist" end
    local got, msg = l:impairment()
    if not got then return "different", tostring(msg) end
    if impair.same(got, s.e.imp) then return "present" end
    if next(got) == nil then return "missing", s.e.dev .. " has no impairment" end
    return "different", fmt("%s has %s", s.e.dev, impair.describe(got)),
           { op = "change", old = got, new = s.e.imp, run = K.impair.apply }
  end,
  apply = function(_, s, h, tx)
    local l, msg, err = h:link(s.e.dev)
    if not l then return nil, msg, err end
    local old = l:impairment() or {}
    local ok
    ok, msg, err = l:impair(s.e.imp)
    if not ok then return nil, msg, err end
    tx:did(s, s.node, function() return l:impair(next(old) and old or false) end)
    return true
  end,
}


K.addr = {
  probe = function(_, s, h)
    if not h:link(s.dev) then return "missing", s.dev .. " does not exist" end
    local it, msg = h:addrs{ dev = s.dev }
    if not it then return "missing", tostring(msg) end
    for a in it do
      if addr_matches(a, s.addr) then return "present" end
    end
    return "missing", fmt("%s has no address %s", s.dev, s.addr.cidr)
  end,
  apply = function(_, s, h, tx)
    local o = { dev = s.dev, address = s.addr.cidr }
    if s.addr.family == "inet6" then o.flags = { "nodad" } end
    local a, msg, err = h:addr_add(o)
    if not a then return nil, msg, err end
    tx:did(s, s.node, function() return h:addr_del{ dev = s.dev, address = s.addr.cidr } end)
    return true
  end,
}



local function route_opts(self, s)
  local o = { dst = s.dst, protocol = self.proto }
  if s.dst == "default" and s.family == "inet6" then o.dst = "::/0" end
  if s.gw then o.gateway = s.gw end
  for k, v in pairs(s.r.opts) do o[k] = v end
  return o
end

local function find_route(self, s, h)
  local it = h:routes{ table = s.r.opts.table, family = s.family }
  if not it then return nil end
  for r in it do
    if same_dst(r.dst, s.dst) and (s.r.opts.metric == nil or tonumber(r.metric) == s.r.opts.metric)
       and (r.type == nil or r.type == (s.r.opts.type or "unicast")) then
      return r
    end
  end
end

K.route = {
  probe = function(self, s, h)
    local r = find_route(self, s, h)
    if not r then return "missing", "no route to " .. s.dst end
    if proto_of(r.protocol) ~= proto_of(self.proto) then
      return "different", fmt("route to %s exists but was not made by topology %s (protocol %s)",
                              s.dst, self.name, tostring(r.protocol))
    end
    if s.gw then
      local g = parse_cidr(r.gateway or "")
      if not g or g.ip ~= s.gw then
        local old = route_opts(self, s)
        old.gateway = r.gateway
        return "different", fmt("route to %s goes via %s, not %s", s.dst, tostring(r.gateway), s.gw),
               { op = "change", old = { gateway = r.gateway }, new = { gateway = s.gw },
                 run = function(_, _, _, tx)
                   tx:did(s, s.node, function() return h:route_replace(old) end)
                   return h:route_replace(route_opts(self, s))
                 end }
      end
    end
    return "present"
  end,
  apply = function(self, s, h, tx)
    local o = route_opts(self, s)
    local r, msg, err = h:route_add(o)
    if not r then return nil, msg, err end
    tx:did(s, s.node, function()
      return h:route_del{ dst = o.dst, table = o.table, metric = o.metric, protocol = self.proto }
    end)
    return true
  end,
}



K.rule = {
  probe = function(self, s, h)
    local it = h:rules{ family = rule_family(s.rule) }
    if not it then return "missing" end
    for r in it do
      if rule_matches(r, s.rule) then
        if r.protocol ~= nil and proto_of(r.protocol) ~= proto_of(self.proto) then
          return "different", "a matching rule exists but was not made by topology " .. self.name
        end
        return "present"
      end
    end
    return "missing", "no such rule"
  end,
  apply = function(self, s, h, tx)
    local o = copy(s.rule)
    if not o.family then o.family = rule_family(o) end
    o.protocol = self.proto     -- tagged: `down` finds the rules it made
    local r, msg, err = h:rule_add(o)
    if not r then return nil, msg, err end
    tx:did(s, s.node, function() return h:rule_del(o) end)
    return true
  end,
}

local function nft_script(self, o)
  local t = nft_table(self)
  local lines = { "table ip " .. t .. " {", "" }
  if o.out then
    lines[#lines + 1] = "  chain postrouting {"
    lines[#lines + 1] = "    type nat hook postrouting priority srcnat; policy accept;"
    lines[#lines + 1] = fmt("    %soifname \"%s\" masquerade",
                            o.src and ("ip saddr " .. o.src .. " ") or "", o.out)
    lines[#lines + 1] = "  }"
  end
  if o.forward then
    lines[#lines + 1] = "  chain prerouting {"
    lines[#lines + 1] = "    type nat hook prerouting priority dstnat; policy accept;"
    for _, f in ipairs(o.forward) do
      lines[#lines + 1] = fmt("    %s%s dport %d dnat to %s",
                              f["in"] and fmt("iifname \"%s\" ", f["in"]) or "",
                              f.proto or "tcp", tonumber(f.port), f.to)
    end
    lines[#lines + 1] = "  }"
    lines[#lines + 1] = "  chain output {"
    lines[#lines + 1] = "    type nat hook output priority -100; policy accept;"
    for _, f in ipairs(o.forward) do
      if not f["in"] then
        lines[#lines + 1] = fmt("    %s dport %d dnat to %s", f.proto or "tcp", tonumber(f.port), f.to)
      end
    end
    lines[#lines + 1] = "  }"
  end
  lines[#lines + 1] = "}"
  -- the table carries a digest of what the script asks for: `up` replaces
  -- a table whose digest differs, and only such a table
  local body = table.concat(lines, "\n", 3)
  lines[2] = fmt("  comment \"vnet %08x\"", hash(body))
  return table.concat(lines, "\n") .. "\n", fmt("vnet %08x", hash(body))
end

-- the nftables table of this topology in h, as `nft list` prints it (nil if none)
local function nft_list(self, h)
  local ok, out = run(h, { "nft", "list", "table", "ip", nft_table(self) })
  if ok then return out end
end

-- loads an nft script that replaces our table (atomically: one nft transaction)
local function nft_load(self, h, text, replace)
  if replace then text = "delete table ip " .. nft_table(self) .. "\n" .. text end
  local ok, _, err = run(h, { "nft", "-f", "-" }, text)
  if not ok then return nil, fmt("nft -f: %s", (err:gsub("%s+$", ""))), "ENFT" end
  return true
end
B.nft_list, B.nft_load = nft_list, nft_load

-- In a namespace it owns, the topology marks NAT with an altname of `lo`
-- (set before the table is made, so no kill leaves a table unmarked): `up`
-- then finds the tables the script no longer asks for without running nft
-- in every namespace. Not in an external namespace (its lo is not ours).
local NAT_MARK = "vnet-nat"
B.NAT_MARK = NAT_MARK
function B.nat_mark(self, node, h, on, tx, s)
  if node.kind == "external" then return true end
  local lo, msg, err = h:link("lo")
  if not lo then return nil, msg, err end
  local has = false
  for _, a in ipairs(lo.altnames or {}) do if a == NAT_MARK then has = true end end
  if has == on then return true end
  local ok
  if on then ok, msg, err = lo:altname_add(NAT_MARK) else ok, msg, err = lo:altname_del(NAT_MARK) end
  if not ok then return nil, msg, err end
  tx:did(s, s.node, function()
    local l = h:link("lo")
    if on then return l:altname_del(NAT_MARK) end
    return l:altname_add(NAT_MARK)
  end)
  return true
end

K.nat = {
  probe = function(self, s, h)
    local cur = nft_list(self, h)
    if not cur then return "missing", "no nftables table " .. nft_table(self) end
    local _, digest = nft_script(self, s.nat)
    if cur:find('comment "' .. digest .. '"', 1, true) then return "present" end
    return "different", "nftables table " .. nft_table(self) .. " differs from the script",
           { op = "change", old = { nft = cur }, new = { nft = (nft_script(self, s.nat)) },
             run = function(_, _, _, tx)
               local ok, msg, err = B.nat_mark(self, s.node, h, true, tx, s)
               if not ok then return nil, msg, err end
               tx:did(s, s.node, function() return nft_load(self, h, cur, true) end)
               return nft_load(self, h, (nft_script(self, s.nat)), true)
             end }
  end,
  apply = function(self, s, h, tx)
    local ok, msg, err = B.nat_mark(self, s.node, h, true, tx, s)
    if not ok then return nil, msg, err end
    ok, msg, err = nft_load(self, h, (nft_script(self, s.nat)))
    if not ok then return nil, msg, err end
    tx:did(s, s.node, function()
      return run(h, { "nft", "delete", "table", "ip", nft_table(self) })
    end)
    return true
  end,
}


return K
