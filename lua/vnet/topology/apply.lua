--- vnet.topology, the transaction: up, status, down.
-- (`require "vnet.topology"` loads every part.)
-- @module vnet.topology
local B = require "vnet.topology.base"
local T, fmt, impair, is_tmp_name, kill_pids, nft_table = B.T, B.fmt, B.impair, B.is_tmp_name, B.kill_pids, B.nft_table
local ns_exists, proto_of, rule_matches, run, stale_file, tagged = B.ns_exists, B.proto_of, B.rule_matches, B.run, B.stale_file, B.tagged
local vnet = B.vnet
local K = require "vnet.topology.steps"
-- ---- up, down, status ----------------------------------------------------

local Tx = {}
Tx.__index = Tx
-- undo: what puts back each change, in order; fresh: the namespaces this
-- transaction made; commit: what runs once everything has succeeded
function Tx:did(s, node, undo)
  self.undo[#self.undo + 1] = { step = s, node = node, fn = undo }
end

function Tx:rollback()
  local errs = {}
  for i = #self.undo, 1, -1 do
    local u = self.undo[i]
    -- objects inside a namespace made by this transaction go with it
    if not (u.node and self.fresh[u.node]) then
      local ok, a, msg = pcall(u.fn)
      if not ok or not a then
        errs[#errs + 1] = fmt("undo %s: %s", u.step.what, tostring(ok and msg or a))
      end
    end
  end
  return errs
end

-- the state of step s: state, detail, fix (K's probe); in a transaction,
-- steps inside fresh namespaces are missing
function T:_probe(s, tx)
  local n = s.node
  if s.kind == "netns" then
    if tx and tx.fresh[n] then return "present" end
    return K.netns.probe(self, s)
  end
  if tx and tx.fresh[n] then return "missing" end
  local h = self:_open(n)
  if not h then
    return "missing", "namespace " .. tostring(n.nsname or n.name) .. " does not exist"
  end
  return K[s.kind].probe(self, s, h)
end

-- ---- what the topology owns and the script no longer names ---------------

-- the namespaces (nodes) of the script, and in each the links its steps make
local function made_links(steps)
  local made, nodes = {}, {}
  local function mark(node, dev)
    if not made[node] then made[node] = {}; nodes[#nodes + 1] = node end
    if dev then made[node][dev] = true end
  end
  for _, s in ipairs(steps) do
    if s.kind == "netns" then mark(s.node)
    elseif s.kind == "bridge" then mark(s.node, s.dev)
    elseif s.kind == "cable" then mark(s.first.ns, s.first.dev); mark(s.second.ns, s.second.dev)
    elseif s.kind == "iface" then mark(s.node, s.i.dev)
    elseif s.kind == "tunnel" or s.kind == "wan" then mark(s.node, s.e.dev)
    elseif s.kind == "stretch" then mark(s.node, s.dev)
    elseif s.node then mark(s.node) end
  end
  return made, nodes
end

-- whether link l in node is this topology's
local function owns_link(self, node, l)
  if l.alias == self.tag then return true end
  return node.kind == "external" and (l.alias or "") == "" and is_tmp_name(self, l.name)
end

-- Links and namespaces this topology made that the script no longer names:
-- removal operations { op = "remove", kind =, what =, old =, run = fn(tx) },
-- run before the steps (a name may be wanted again). A namespace is
-- unnamed at once and ended when the whole `up` has succeeded (undone by
-- naming it again); a link is deleted and, on rollback, made again as it was.
function T:_stale_links(steps)
  local made, nodes = made_links(steps)
  local ops = {}
  for _, node in ipairs(nodes) do
    local h = self:_open(node)
    for l in (h and h:links()) or function() end do
      local ifb = l.kind == "ifb" and (l.alias or ""):sub(1, #impair.ALIAS) == impair.ALIAS
      if l.name ~= "lo" and not ifb and not made[node][l.name] and owns_link(self, node, l) then
        local name, kind = l.name, l.kind
        local op = { op = "remove", kind = "link", node = node.name,
                     what = fmt("link %s:%s (%s)", node.name, name, tostring(kind)),
                     old = { name = name, kind = kind, mtu = l.mtu, address = l.address } }
        op.run = function(_, tx)
          local cur = h:link(name)       -- a veth's twin may have gone with it
          if not cur then return true end
          return B.remove_link(self, op, h, cur, tx)
        end
        ops[#ops + 1] = op
      end
    end
  end
  local planned = { }
  for _, node in ipairs(nodes) do if node.nsname then planned[node.nsname] = true end end
  local prefix = self.name .. "-"
  for name in vnet.netns.list() do
    if not planned[name] and (name == self.name or name:sub(1, #prefix) == prefix) then
      local h = vnet.netns.open(name)
      local lo = h and h:link("lo")
      if lo and lo.alias == self.tag then
        local op = { op = "remove", kind = "netns", what = "namespace " .. name, old = { name = name },
                     close = function() h:close() end }
        op.run = function(_, tx)
          local ok, msg, err = vnet.netns.delete(name)
          if not ok then return nil, msg, err end
          tx:did(op, nil, function() return h:pin(name) end)
          tx.commit[#tx.commit + 1] = function() kill_pids(h) end
          return true
        end
        ops[#ops + 1] = op
      elseif h then
        h:close()
      end
    end
  end
  return ops
end

-- a removal operation of the delta: del() removes the object, put() (the
-- undo) puts it back
local function removal(kind, node, what, old, del, put)
  local op = { op = "remove", kind = kind, node = node, what = what, old = old }
  op.run = function(_, tx)
    local ok, msg, err = del()
    if not ok then return nil, msg, err end
    tx:did(op, nil, put)
    return true
  end
  return op
end

-- Removals of the routes and rules with this topology's protocol in node
-- (handle h) that no step of rsteps / lsteps names (one dump of each, both
-- families); links: the node's links by index, to name a route's device.
-- `up` runs them in a transaction; `down` of an external node, with no
-- steps, removes every one.
local function proto_removals(self, node, h, rsteps, lsteps, links, add)
  for r in h:routes{ table = "all" } or function() end do
    local fam = r.family
    if proto_of(r.protocol) == proto_of(self.proto) then
      local named = false
      for _, s in ipairs(rsteps) do
        if s.family == fam and B.same_dst(r.dst, s.dst)
           and tostring(r.table or "main") == tostring(s.r.opts.table or "main")
           and (s.r.opts.metric == nil or tonumber(r.metric) == s.r.opts.metric) then
          named = true
        end
      end
      if not named then
        local o = {}
        for _, k in ipairs({ "dst", "family", "table", "gateway", "src", "metric", "scope",
                             "type", "mtu", "onlink" }) do o[k] = r[k] end
        if o.dst == "default" and fam == "inet6" then o.dst = "::/0" end
        o.protocol = self.proto
        o.dev = r.dev and links[r.dev] and links[r.dev].name or r.dev
        add(removal("route", node.name, fmt("route %s%s on %s", tostring(r.dst),
                                            r.gateway and (" via " .. r.gateway) or "", node.name), o,
          function()
            return h:route_del{ dst = o.dst, table = o.table, metric = o.metric,
                                protocol = self.proto, family = fam }
          end,
          function() return h:route_add(o) end))
      end
    end
  end
  for r in h:rules{} or function() end do
    local fam = r.family
    if r.protocol ~= nil and proto_of(r.protocol) == proto_of(self.proto) then
      local named = false
      for _, s in ipairs(lsteps) do if rule_matches(r, s.rule) then named = true end end
      if not named then
        local o = { family = fam, protocol = self.proto }
        for _, k in ipairs({ "priority", "from", "to", "iif", "oif", "fwmark", "table",
                             "action" }) do o[k] = r[k] end
        add(removal("rule", node.name, fmt("rule priority %s on %s", tostring(r.priority), node.name), o,
          function()
            return h:rule_del{ priority = o.priority, table = o.table, family = fam,
                               from = o.from, to = o.to, protocol = self.proto }
          end,
          function() return h:rule_add(o) end))
      end
    end
  end
end

-- addresses (part "addr"), or routes, rules and impairments (part
-- "rest") on what stays that the script no longer names; each removal is
-- undone by putting the object back. Addresses go before the steps run
-- (deleting an IPv4 primary address takes the secondaries of its subnet
-- with it, so a new one is added after), the rest after them (read from
-- the kernel as the steps left it).
function T:_stale_parts(steps, part)
  local made, nodes = made_links(steps)
  local want_addr, want_route, want_rule, want_imp = {}, {}, {}, {}
  local function key(...) return table.concat({ ... }, "\0") end
  for _, s in ipairs(steps) do
    if s.kind == "addr" then want_addr[key(s.node.name, s.dev, s.addr.ip, s.addr.plen)] = true
    elseif s.kind == "impair" then want_imp[key(s.node.name, s.e.dev)] = true end
  end
  -- each node's route and rule steps (one pass: a lab of n nodes has O(n) steps)
  local by_node = { route = {}, rule = {} }
  for _, s in ipairs(steps) do
    local t = by_node[s.kind]
    if t then
      t[s.node] = t[s.node] or {}
      t[s.node][#t[s.node] + 1] = s
    end
  end
  local ops = {}
  local function add(op) ops[#ops + 1] = op end
  for _, node in ipairs(nodes) do
    local h = self:_open(node)
    if h then
      local links = {}
      for l in h:links() do
        if made[node][l.name] and owns_link(self, node, l) or (l.name == "lo" and node.kind ~= "external") then
          links[l.index] = l
        end
      end
      -- addresses
      for a in (part == "addr" and h:addrs()) or function() end do
        local l = links[a.dev]
        local ll = a.family == "inet6" and a.address:lower():match("^fe80:")
        local loop = l and l.name == "lo" and (a.address == "::1" or a.address:match("^127%."))
        if l and not ll and not loop
           and not want_addr[key(node.name, l.name, a.address, a.prefixlen)] then
          local o = { dev = l.name, address = a.address .. "/" .. a.prefixlen, peer = a.peer,
                      label = a.label, flags = a.family == "inet6" and { "nodad" } or nil }
          -- the routes the kernel drops with the address come back with it
          local routes
          add(removal("addr", node.name, fmt("address %s on %s:%s", o.address, node.name, l.name),
            { address = o.address },
            function()
              routes = B.routes_of(h, l)
              return h:addr_del{ dev = o.dev, address = o.address, peer = o.peer }
            end,
            function()
              local a, m, e = h:addr_add(o)
              if not a then return nil, m, e end
              return B.put_back(h, routes)
            end))
        end
      end
      -- routes and rules with this topology's protocol
      if part == "rest" then
        proto_removals(self, node, h, by_node.route[node] or {}, by_node.rule[node] or {}, links, add)
      end
    end
  end
  -- NAT tables of nodes the script gives none (marked: see B.nat_mark;
  -- an external node's table is looked for with nft)
  if part == "rest" then
    local nat = {}
    for _, s in ipairs(steps) do if s.kind == "nat" then nat[s.node] = true end end
    for _, node in ipairs(nodes) do
      local h = not nat[node] and node.kind ~= "fabric" and self:_open(node)
      local marked = false
      if h and node.kind ~= "external" then
        local lo = h:link("lo")
        for _, a in ipairs(lo and lo.altnames or {}) do if a == B.NAT_MARK then marked = true end end
      end
      local cur = h and (marked or node.kind == "external") and B.nft_list(self, h)
      if marked or cur then
        local op = { op = "remove", kind = "nat", node = node.name, old = { nft = cur or nil },
                     what = fmt("nat on %s", node.name) }
        op.run = function(_, tx)
          if cur then
            local ok, _, e = run(h, { "nft", "delete", "table", "ip", nft_table(self) })
            if not ok then return nil, "nft delete table: " .. tostring(e):gsub("%s+$", ""), "ENFT" end
            tx:did(op, nil, function() return B.nft_load(self, h, cur) end)
          end
          return B.nat_mark(self, node, h, false, tx, op)
        end
        add(op)
      end
    end
  end
  -- impairments on cable and tunnel ends that the script no longer impairs
  -- (one qdisc dump per namespace finds the devices with any qdisc at all:
  -- a veth or a tunnel without an impairment has none of its own)
  local qdisc_devs = {}
  local function has_qdisc(node, h, dev)
    local set = qdisc_devs[node]
    if not set then
      set = {}
      for q in h:qdiscs{} or function() end do
        if q.kind ~= "noqueue" then set[q.dev] = true end
      end
      qdisc_devs[node] = set
    end
    local l = h:link(dev)
    return l and set[l.index] and l
  end
  for _, list in ipairs(part == "rest" and { self.cables, self.tunnels } or {}) do
    for _, c in ipairs(list) do
      for _, e in ipairs({ c.a, c.b }) do
        local node = e.ns or e.node
        local h = self:_open(node)
        local l = h and not want_imp[key(node.name, e.dev)] and has_qdisc(node, h, e.dev)
        local got = l and owns_link(self, node, l) and l:impairment()
        if got and next(got) then
          add(removal("impair", node.name,
            fmt("impairment on %s:%s (%s)", node.name, e.dev, impair.describe(got)), got,
            function() return l:impair(false) end, function() return l:impair(got) end))
        end
      end
    end
  end
  return ops
end

local function op_of(s, state, fix)
  local op = state == "missing" and "create" or (fix and fix.op)
  return { op = op, kind = s.kind, what = s.what, step = s.index,
           old = fix and fix.old, new = fix and fix.new }
end

--- net:plan([{ format = "json" }]) -> the changes a converging `up` would make, in order:
-- { { op = "create"|"change"|"replace"|"remove", kind =, what =, old =,
-- new = }... } (old/new: the values that differ), empty when the kernel
-- matches the script. Raises (naming the problem) on a script that does
-- not compile; a difference `up` would refuse (an object of the same name
-- that this topology did not make) is { op = "refuse", detail = }.
function T:plan(opts)
  local json = B.run_opts(self, opts, "plan", true)
  local ok, steps = pcall(self._compile, self)
  if not ok then error(steps, 2) end
  local out = {}
  local function strip(op) return { op = op.op, kind = op.kind, what = op.what, old = op.old } end
  for _, op in ipairs(self:_stale_links(steps)) do
    out[#out + 1] = strip(op)
    if op.close then op.close() end
  end
  for _, op in ipairs(self:_stale_parts(steps, "addr")) do out[#out + 1] = strip(op) end
  local missing_ns = {}
  for _, s in ipairs(steps) do
    local state, detail, fix
    if missing_ns[s.node] then state = "missing"
    else
      local pok
      pok, state, detail, fix = pcall(self._probe, self, s)
      if not pok then state, detail = "different", tostring(state) end
      if s.kind == "netns" and state == "missing" then missing_ns[s.node] = true end
    end
    if state ~= "present" then
      local op = op_of(s, state, fix)
      if not op.op then op.op, op.detail = "refuse", detail end
      out[#out + 1] = op
    end
  end
  for _, op in ipairs(self:_stale_parts(steps, "rest")) do out[#out + 1] = strip(op) end
  for i, op in ipairs(out) do op.index = i end
  if json then
    local J = require "vnet.json"
    for _, op in ipairs(out) do
      op.old, op.new = op.old and J.object(op.old), op.new and J.object(op.new)
    end
    return J.encode({ name = self.name, changes = out })
  end
  return out
end

--- net:up([{ machine = }]) -> net | nil, msg, errname
-- Converges: makes what is missing, changes in place what differs, replaces
-- what cannot be changed, removes what this topology made and the script
-- no longer names. One transaction: on failure the kernel is put back as it
-- was before this call.
function T:up(opts)
  B.run_opts(self, opts, "up")
  local ok, steps = pcall(self._compile, self)
  if not ok then return nil, fmt("up %s: %s", self.name, tostring(steps)), "EINVAL" end
  local tx = setmetatable({ undo = {}, fresh = {}, commit = {} }, Tx)
  local k = #steps
  local stale = {}      -- the removals of both parts (their handles are closed at the end)
  local function close_stale()
    for _, op in ipairs(stale) do if op.close then op.close() end end
  end
  local function fail(s, msg, err, errs)
    local where = s.index and fmt("step %d/%d (%s)", s.index, k, s.what) or fmt("%s %s", s.op, s.what)
    local m = fmt("up %s: %s: %s", self.name, where, tostring(msg))
    for _, e in ipairs(tx:rollback()) do m = m .. "\n  " .. e end
    for _, e in ipairs(errs or {}) do m = m .. "\n  " .. e end
    for node in pairs(tx.fresh) do self._h[node] = nil end
    close_stale()
    return nil, m, err or "EFAULT"
  end
  local fault = self._fault
  -- one action of the delta: fn(...) (none: nothing to do), failing the
  -- whole up when it fails or raises; a test's fault hook runs before and
  -- after it (i: the step's index, or #steps + n for the n-th removal)
  local function act(i, s, fn, ...)
    if fault then
      local fok, fmsg, ferr = fault(i, s, "before")
      if not fok then return fail(s, fmsg, ferr) end
    end
    if not fn then return true end
    local aok, r, msg, err = pcall(fn, ...)
    if not aok then return fail(s, (tostring(r):gsub("^[^:\n]+:%d+: ", "")), "EINVAL") end
    if not r then return fail(s, msg, err) end
    if fault then
      local fok, fmsg, ferr = fault(i, s, "after")
      if not fok then return fail(s, fmsg, ferr) end
    end
    return true
  end
  local n = k
  -- what the script no longer names, of one part ("links", "addr", "rest")
  local function removals(part)
    local pok, ops = pcall(part == "links" and self._stale_links or self._stale_parts, self, steps, part)
    if not pok then return fail({ op = "read", what = "what the script no longer names" }, ops, "EINVAL") end
    for _, op in ipairs(ops) do stale[#stale + 1] = op end
    for _, op in ipairs(ops) do
      n = n + 1
      local r, msg, err = act(n, op, op.run, op, tx)
      if not r then return nil, msg, err end
    end
    return true
  end
  local r, msg, err = removals("links")
  if r then r, msg, err = removals("addr") end
  if not r then return nil, msg, err end
  for _, s in ipairs(steps) do
    local pok, state, detail, fix = pcall(self._probe, self, s, tx)
    if not pok then return fail(s, state, "EINVAL") end
    local fn
    if state == "different" and not fix then
      r, msg, err = act(s.index, s, nil)
      if not r then return nil, msg, err end
      return fail(s, tostring(detail) .. "; run down first", "EEXIST")
    elseif state ~= "present" then
      local run_ = state == "missing" and K[s.kind].apply or fix.run
      fn = function()
        local h, m0, e0
        if s.kind ~= "netns" then
          h, m0, e0 = self:_open(s.node)
          if not h then return nil, m0, e0 end
        end
        return run_(self, s, h, tx)
      end
    end
    r, msg, err = act(s.index, s, fn)
    if not r then return nil, msg, err end
  end
  r, msg, err = removals("rest")
  if not r then return nil, msg, err end
  -- the commit: namespaces unnamed above end now (their processes killed,
  -- the last handles closed)
  for _, c in ipairs(tx.commit) do pcall(c) end
  close_stale()
  return self
end

--- net:status([{ format = "json" }]) -> list of { step, what, state, detail }, all_present,
-- processes; with format = "json", one JSON text { name, all_present,
-- steps, processes } for tools;
-- processes (net:processes(): what net:spawn started)
function T:status(opts)
  local json = B.run_opts(self, opts, "status", true)
  local steps = self:_compile()
  local out, all = {}, true
  local missing_ns = {}
  for _, s in ipairs(steps) do
    local state, detail
    if missing_ns[s.node] then
      state = missing_ns[s.node]
      detail = "namespace " .. s.node.nsname .. (state == "missing" and " does not exist"
                                                 or " is not this topology's")
    else
      local ok
      ok, state, detail = pcall(self._probe, self, s)
      if not ok then state, detail = "different", tostring(state) end
      if s.kind == "netns" and state ~= "present" then missing_ns[s.node] = state end
    end
    if state ~= "present" then all = false end
    out[#out + 1] = { step = s.index, kind = s.kind, what = s.what, state = state, detail = detail }
  end
  if json then
    local procs = {}
    for i, p in ipairs(self:processes()) do
      procs[i] = { node = p.node, argv = p.argv, pid = p.pid, state = p.state }
    end
    return require("vnet.json").encode({ name = self.name, all_present = all, steps = out,
                                         processes = procs })
  end
  return out, all, self:processes()
end


-- removes what this topology tagged in a namespace it does not own
function T:_clean_external(h, node)
  local errs = {}
  local names = {}
  -- tagged, or still under the name it was born with (up was killed before
  -- the request that names and tags it)
  local function ours(l) return owns_link(self, node, l) end
  local it = h:links()
  local ifbs = {}
  for l in it do
    if ours(l) then names[#names + 1] = l.name; ifbs[impair.ALIAS .. l.index] = true end
  end
  -- the ifb devices vnet.impair made for our links' ingress
  local it2 = h:links{ kind = "ifb" }
  for l in it2 or function() end do
    if l.alias and ifbs[l.alias] then
      local ok, msg = l:delete()
      if not ok and h:link(l.index) then errs[#errs + 1] = msg end
    end
  end
  for _, n in ipairs(names) do
    local l = h:link(n)               -- a veth peer may have gone with its twin
    if l and ours(l) then
      local ok, msg = l:delete()
      if not ok and h:link(n) then errs[#errs + 1] = msg end
    end
  end
  -- routes and rules with our protocol: all of them (no steps name any)
  local ops = {}
  proto_removals(self, node, h, {}, {}, {}, function(op) ops[#ops + 1] = op end)
  local no_tx = { did = function() end }
  for _, op in ipairs(ops) do
    local ok, msg, err = op.run(op, no_tx)
    if not ok and err ~= "ESRCH" and err ~= "ENOENT" then errs[#errs + 1] = msg end
  end
  -- our NAT table (also one the script no longer asks for)
  if B.nft_list(self, h) then run(h, { "nft", "delete", "table", "ip", nft_table(self) }) end
  return errs
end

--- net:down([{ machine = }]) -> true | nil, msg, errname. Removes what the kernel says this
-- topology owns; works from a fresh process.
function T:down(opts)
  B.run_opts(self, opts, "down")
  local errs = {}
  self:_end_processes()
  -- externals first (their tagged links, routes with our protocol, our nft
  -- table); of a lab across machines, this machine's
  local seen = {}
  for _, n in ipairs(self.nodes) do
    local e = n.kind == "switch" and n.at or n
    if e.kind == "external" and not seen[e] and (not self.slice or e.machine == self.slice) then
      seen[e] = true
      local h = self:_open(e)
      if h then
        local ok, r = pcall(self._clean_external, self, h, e)
        if not ok then errs[#errs + 1] = tostring(r)
        else for _, m in ipairs(r) do errs[#errs + 1] = tostring(m) end end
      end
    end
  end
  self:_close_all()
  -- then every namespace with our name or prefix whose lo carries our tag
  -- (a namespace is tagged before it gets its name), and the empty files
  -- left under the names of this script's namespaces by a creation or a
  -- removal that was killed half way
  local prefix = self.name .. "-"
  local planned = { [self.name] = true }
  for _, n in ipairs(self.nodes) do
    if (n.kind == "host" or n.kind == "router") and (not self.slice or n.machine == self.slice) then
      planned[n.nsname] = true
    end
  end
  for m, f in pairs(self.fabrics) do
    if not self.slice or m == self.slice then planned[f.nsname] = true end
  end
  local mine = {}
  for name in vnet.netns.list() do
    if name == self.name or name:sub(1, #prefix) == prefix then
      local h = vnet.netns.open(name)
      if h then
        local lo = h:link("lo")
        if lo and lo.alias == self.tag then
          mine[#mine + 1] = name
          kill_pids(h)
        end
        lo = nil
        h:close()
      elseif planned[name] and stale_file(name) then
        mine[#mine + 1] = name
      end
    end
  end
  -- every handle of ours is closed by now (a handle keeps a deleted
  -- namespace alive): no full collection, which would stall a host such
  -- as an nginx worker
  for _, name in ipairs(mine) do
    local ok, msg = vnet.netns.delete(name)
    if not ok and ns_exists(name) then errs[#errs + 1] = msg end
  end
  if #errs > 0 then
    return nil, fmt("down %s: %s", self.name, table.concat(errs, "; ")), "EBUSY"
  end
  return true
end

