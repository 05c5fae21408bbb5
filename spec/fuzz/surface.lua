-- The public surface of vnet, found by walking its tables and metatables, and
-- one valid call of each entry where one is known. Used by the fuzz tier
-- (spec/fuzz/fuzz.lua) and the out-of-memory check (spec/oom_check.lua).
-- Not a busted spec.
--
-- Entries:
--   module functions: every function of vnet, vnet.netns, vnet.core and vnet.ip;
--   methods: every function of the __vn_methods table of each "vnet.*"
--   metatable in the registry, and each metatable's own metamethods;
--   fields: the keys of obj:totable() of each object type.
-- A method or function that has no template below is still fuzzed (with odd
-- values only) and is listed by `untemplated`, so a new one is never missed.
local M = {}

local vnet = require "vnet"

-- The object types: registry name -> short name used in the tables below.
M.types = { ["vnet.netns"] = "ns", ["vnet.link"] = "link", ["vnet.addr"] = "addr",
            ["vnet.route"] = "route", ["vnet.rule"] = "rule", ["vnet.neigh"] = "neigh",
            ["vnet.monitor"] = "monitor", ["vnet.ntable"] = "ntable", ["vnet.qdisc"] = "qdisc",
            ["vnet.class"] = "class", ["vnet.filter"] = "filter", ["vnet.brvlan"] = "brvlan",
            ["vnet.process"] = "process" }

local function sorted_keys(t, pred)
  local out = {}
  for k, v in pairs(t) do
    if type(k) == "string" and (not pred or pred(k, v)) then out[#out + 1] = k end
  end
  table.sort(out)
  return out
end

--- M.entries() -> list of { owner =, name =, fn = } for every public call.
-- owner is "vnet", "vnet.netns", "vnet.core" (plain functions), a short type
-- name (methods, called obj:name(...)) or "meta:<type>" (metamethods, called
-- as mt.__x(obj, ...)).
function M.entries()
  local out = {}
  local function funcs(owner, t)
    for _, k in ipairs(sorted_keys(t, function(_, v) return type(v) == "function" end)) do
      out[#out + 1] = { owner = owner, name = k, fn = t[k] }
    end
  end
  funcs("vnet", vnet)
  funcs("vnet.netns", vnet.netns)
  funcs("vnet.core", vnet.core)
  funcs("vnet.ip", vnet.ip)
  local reg = debug.getregistry()
  for _, tname in ipairs(sorted_keys(reg, function(k, v) return k:match("^vnet%.") and type(v) == "table" end)) do
    local mt, short = reg[tname], M.types[tname]
    if short == nil then
      short = tname:gsub("^vnet%.", "")
      M.types[tname] = short
    end
    if type(mt.__vn_methods) == "table" then funcs(short, mt.__vn_methods) end
    for _, k in ipairs(sorted_keys(mt, function(k2, v) return k2:match("^__") and type(v) == "function" end)) do
      out[#out + 1] = { owner = "meta:" .. short, name = k, fn = mt[k], mt = tname }
    end
  end
  return out
end

--- M.fields(obj) -> sorted list of field names of obj (from totable, plus
-- the handle's documented fields).
function M.fields(obj)
  local ok, t = pcall(function() return obj:totable() end)
  local out = {}
  if ok and type(t) == "table" then out = sorted_keys(t) end
  return out
end

-- Valid calls ----------------------------------------------------------------
-- A template is function(ctx) -> self, args..., where ctx is the fixture
-- (see M.fixture). Calls that change something undo it where they can, so a
-- template can run again and again (the OOM check runs each one thousands of
-- times). `setup` runs before the call and is not counted; `binary = { [p]
-- = true }` marks positional argument p as bytes, where a NUL is data.
local T = {}
M.templates = T

local function uniq(ctx) ctx.n = ctx.n + 1; return ("fz%d"):format(ctx.n) end
M.uniq = uniq

-- netns.add and netns.delete use one name, removed after each call
T["vnet.netns"] = {
  add = { call = function(ctx) return nil, ctx.prefix .. "new" end,
          after = function(ctx) vnet.netns.delete(ctx.prefix .. "new") end },
  current = { call = function() return nil end },
  delete = { setup = function(ctx)
      local h = vnet.netns.add(ctx.prefix .. "old"); if h then h:close() end end,
    call = function(ctx) return nil, ctx.prefix .. "old" end,
    after = function(ctx) vnet.netns.delete(ctx.prefix .. "old") end },
  list = { call = function() return nil end, iter = true },
  open = { call = function(ctx) return nil, ctx.a_name end },
  new = { call = function() return nil end },
}
T["vnet"] = {
  supports = { call = function() return nil, "bridge" end },
  poll = { call = function() return nil, { 0, 1 }, 0 end },
}
T["vnet.core"] = {
  kinds = { call = function() return nil end },
  tc_kinds = { call = function() return nil end },
  kind = { call = function() return nil, "vlan" end },
  tunnel_modes = { call = function() return nil end },
  extend = { call = function() return nil, "netns", "fz_extended", function() return true end end },
  poll = { call = function() return nil, { 0 }, 0.001 end },
  ifname_ok = { call = function() return nil, "eth0" end },
  nofile = { call = function() return nil, 0 end },
}
T["vnet.ip"] = {
  parse = { call = function() return nil, "10.0.0.1/24" end },
  format = { call = function() return nil, "fd00:0::1", 64 end },
  network = { call = function() return nil, "10.1.2.3/20" end },
  contains = { call = function() return nil, "10.0.0.0/24", "10.0.0.7" end },
  host = { call = function() return nil, "10.0.0.0/24", 5 end },
}
T.ns = {
  addr_add = { call = function(ctx) return ctx.a, { dev = "fa0", address = "10.7.1.1/24" } end,
               after = function(ctx) ctx.a:addr_del{ dev = "fa0", address = "10.7.1.1/24" } end },
  addr_replace = { call = function(ctx) return ctx.a, { dev = "fa0", address = "10.7.2.1/24" } end,
               after = function(ctx) ctx.a:addr_del{ dev = "fa0", address = "10.7.2.1/24" } end },
  addr_del = { setup = function(ctx) ctx.a:addr_add{ dev = "fa0", address = "10.7.3.1/24" } end,
               call = function(ctx) return ctx.a, { dev = "fa0", address = "10.7.3.1/24" } end },
  addrs = { call = function(ctx) return ctx.a, { dev = "fa0", family = "inet" } end, iter = true },
  batch = { call = function(ctx) return ctx.a, function(n)
      n:route_add{ dst = "10.9.0.0/24", dev = "fa0", table = 200 }
      n:route_add{ dst = "10.9.1.0/24", dev = "fa0", table = 200 }
    end end,
    after = function(ctx) ctx.a:route_del{ dst = "10.9.0.0/24", table = 200 }
      ctx.a:route_del{ dst = "10.9.1.0/24", table = 200 } end },
  close = { call = function(ctx) return vnet.netns.open(ctx.a_name) end },
  exec = { call = function(ctx) return ctx.a, { "sh", "-c", "cat; echo err >&2", stdin = "in",
                                                cwd = "/", env = { FZ = "1", HOME = false } } end },
  link = { call = function(ctx) return ctx.a, "fa0" end },
  link_add = { call = function(ctx) return ctx.a, { name = "fzl", kind = "veth", peer = { name = "fzp", mtu = 1400 }, mtu = 1400 } end,
               after = function(ctx) local l = ctx.a:link("fzl"); if l then l:delete() end end },
  links = { call = function(ctx) return ctx.a, { kind = "veth" } end, iter = true },
  neigh_add = { call = function(ctx) return ctx.a, { dst = "10.7.0.20", lladdr = "02:00:00:00:00:20", dev = "fa0" } end,
               after = function(ctx) ctx.a:neigh_del{ dst = "10.7.0.20", dev = "fa0" } end },
  neigh_replace = { call = function(ctx) return ctx.a, { dst = "10.7.0.21", lladdr = "02:00:00:00:00:21", dev = "fa0" } end,
               after = function(ctx) ctx.a:neigh_del{ dst = "10.7.0.21", dev = "fa0" } end },
  neigh_del = { setup = function(ctx) ctx.a:neigh_add{ dst = "10.7.0.22", lladdr = "02:00:00:00:00:22", dev = "fa0" } end,
               call = function(ctx) return ctx.a, { dst = "10.7.0.22", dev = "fa0" } end },
  neighs = { call = function(ctx) return ctx.a, { dev = "fa0", family = "inet" } end, iter = true },
  neigh = { setup = function(ctx) ctx.a:neigh_add{ dst = "10.7.0.25", dev = "fa0", proxy = true } end,
            call = function(ctx) return ctx.a, { dst = "10.7.0.25", dev = "fa0", proxy = true } end,
            after = function(ctx) ctx.a:neigh_del{ dst = "10.7.0.25", dev = "fa0", proxy = true } end },
  ntables = { call = function(ctx) return ctx.a, { dev = "fa0", family = "inet" } end, iter = true },
  ntable_change = { call = function(ctx) return ctx.a, { name = "arp_cache", dev = "fa0", queue = 50,
                                                          base_reachable = 20000 } end },
  pids = { call = function(ctx) return ctx.a end },
  route_add = { call = function(ctx) return ctx.a, { dst = "10.8.1.0/24", gateway = "10.7.0.2", table = 100, metric = 5 } end,
               after = function(ctx) ctx.a:route_del{ dst = "10.8.1.0/24", table = 100, metric = 5 } end },
  route_replace = { call = function(ctx) return ctx.a, { dst = "10.8.2.0/24", dev = "fa0", table = 100 } end,
               after = function(ctx) ctx.a:route_del{ dst = "10.8.2.0/24", table = 100 } end },
  route_del = { setup = function(ctx) ctx.a:route_add{ dst = "10.8.3.0/24", dev = "fa0", table = 100 } end,
               call = function(ctx) return ctx.a, { dst = "10.8.3.0/24", table = 100 } end },
  route_get = { call = function(ctx) return ctx.a, "10.7.0.5", { from = "10.7.0.1", oif = "fa0", mark = 3 } end },
  routes = { call = function(ctx) return ctx.a, { table = "all", family = "inet" } end, iter = true },
  rule_add = { call = function(ctx) return ctx.a, { from = "192.168.7.0/24", iif = "fa0", table = 100, priority = 1100 } end,
               after = function(ctx) ctx.a:rule_del{ from = "192.168.7.0/24", iif = "fa0", table = 100, priority = 1100 } end },
  rule_del = { setup = function(ctx) ctx.a:rule_add{ to = "192.168.8.0/24", oif = "fa0", table = 100, priority = 1200 } end,
               call = function(ctx) return ctx.a, { to = "192.168.8.0/24", oif = "fa0", table = 100, priority = 1200 } end },
  rules = { call = function(ctx) return ctx.a, { family = "inet" } end, iter = true },
  sysctl = { call = function(ctx) return ctx.a, "net.ipv4.ip_forward", 1 end },
  pin = { call = function(ctx) return vnet.netns.new(), ctx.prefix .. "pin" end,
          after = function(ctx) vnet.netns.delete(ctx.prefix .. "pin") end },
  route_change = { setup = function(ctx) ctx.a:route_add{ dst = "10.8.4.0/24", dev = "fa0", table = 100 } end,
               call = function(ctx) return ctx.a, { dst = "10.8.4.0/24", dev = "fa0", table = 100, mtu = 1300 } end,
               after = function(ctx) ctx.a:route_del{ dst = "10.8.4.0/24", table = 100 } end },
  route_append = { call = function(ctx) return ctx.a, { dst = "10.8.5.0/24", dev = "fa0", table = 100 } end,
               after = function(ctx) ctx.a:route_del{ dst = "10.8.5.0/24", table = 100 } end },
  nexthop_add = { call = function(ctx) return ctx.a, { id = 77, gateway = "10.7.0.2", dev = "fa0" } end,
               after = function(ctx) ctx.a:nexthop_del(77) end },
  nexthop_replace = { setup = function(ctx) ctx.a:nexthop_add{ id = 78, gateway = "10.7.0.2", dev = "fa0" } end,
               call = function(ctx) return ctx.a, { id = 78, gateway = "10.7.0.3", dev = "fa0" } end,
               after = function(ctx) ctx.a:nexthop_del(78) end },
  nexthop_del = { setup = function(ctx) ctx.a:nexthop_add{ id = 79, gateway = "10.7.0.2", dev = "fa0" } end,
               call = function(ctx) return ctx.a, 79 end },
  nexthop = { setup = function(ctx) ctx.a:nexthop_add{ id = 80, gateway = "10.7.0.2", dev = "fa0" } end,
               call = function(ctx) return ctx.a, 80 end },
  nexthops = { setup = function(ctx) ctx.a:nexthop_add{ id = 80, gateway = "10.7.0.2", dev = "fa0" } end,
               call = function(ctx) return ctx.a, { dev = "fa0" } end, iter = true },
  fdb_add = { call = function(ctx) return ctx.a, { dev = "fa1", lladdr = "02:00:00:00:01:01", master = true, static = true } end,
               after = function(ctx) ctx.a:fdb_del{ dev = "fa1", lladdr = "02:00:00:00:01:01", master = true } end },
  fdb_append = { call = function(ctx) return ctx.a, { dev = "fa1", lladdr = "02:00:00:00:01:02", master = true, static = true } end,
               after = function(ctx) ctx.a:fdb_del{ dev = "fa1", lladdr = "02:00:00:00:01:02", master = true } end },
  fdb_replace = { call = function(ctx) return ctx.a, { dev = "fa1", lladdr = "02:00:00:00:01:03", master = true, static = true } end,
               after = function(ctx) ctx.a:fdb_del{ dev = "fa1", lladdr = "02:00:00:00:01:03", master = true } end },
  fdb_del = { setup = function(ctx) ctx.a:fdb_add{ dev = "fa1", lladdr = "02:00:00:00:01:04", master = true, static = true } end,
               call = function(ctx) return ctx.a, { dev = "fa1", lladdr = "02:00:00:00:01:04", master = true } end },
  fdbs = { call = function(ctx) return ctx.a, { dev = "fa1" } end, iter = true },
  tunnel_add = { call = function(ctx) return ctx.a, { name = "fzt", mode = "gre", remote = "10.7.0.2", ["local"] = "10.7.0.1" } end,
               after = function(ctx) local l = ctx.a:link("fzt"); if l then l:delete() end end },
}
T.link = {
  addr_add = { call = function(ctx) return ctx.a:link("fa0"), "10.7.4.1/24", { label = "fa0:x" } end,
               after = function(ctx) ctx.a:addr_del{ dev = "fa0", address = "10.7.4.1/24" } end },
  addr_del = { setup = function(ctx) ctx.a:addr_add{ dev = "fa0", address = "10.7.5.1/24" } end,
               call = function(ctx) return ctx.a:link("fa0"), "10.7.5.1/24" end },
  addrs = { call = function(ctx) return ctx.a:link("fa0"), { family = "inet" } end, iter = true },
  delete = { setup = function(ctx) ctx.a:link_add{ name = "fzd", kind = "bridge" } end,
             call = function(ctx) return ctx.a:link("fzd") end },
  ns = { call = function(ctx) return ctx.a:link("fa0") end },
  port = { call = function(ctx) return ctx.a:link("fa1") end },
  refresh = { call = function(ctx) return ctx.a:link("fa0") end },
  set = { call = function(ctx) return ctx.a:link("fa0"), { mtu = 1300, alias = "fz", txqlen = 500, up = true, gso_max_size = 60000 } end },
  set_info = { call = function(ctx) return ctx.a:link("fbr0"), { stp = false, priority = 100 } end },
  set_port = { call = function(ctx) return ctx.a:link("fa1"), { cost = 7, learning = true } end },
  totable = { call = function(ctx) return ctx.a:link("fa0") end },
  wait = { call = function(ctx) return ctx.a:link("fa0"), { up = true, carrier = true, timeout = 0.5 } end },
  -- bridge port VLANs (EOPNOTSUPP on a kernel without VLAN filtering)
  vlan_add = { call = function(ctx) return ctx.a:link("fa1"), { vid = 10, pvid = true, untagged = true } end,
               after = function(ctx) local l = ctx.a:link("fa1"); if l then l:vlan_del{ vid = 10 } end end },
  vlan_del = { setup = function(ctx) ctx.a:link("fa1"):vlan_add{ vid = { 20, 22 } } end,
               call = function(ctx) return ctx.a:link("fa1"), { vid = { 20, 22 } } end },
  vlans = { call = function(ctx) return ctx.a:link("fa1") end, iter = true },
  vlan_tunnels = { call = function(ctx) return ctx.a:link("fa1") end, iter = true },
  altname_add = { call = function(ctx) return ctx.a:link("fa0"), "fz-alternative-name-of-fa0" end,
               after = function(ctx) local l = ctx.a:link("fa0"); if l then l:altname_del("fz-alternative-name-of-fa0") end end },
  altname_del = { setup = function(ctx) ctx.a:link("fa0"):altname_add("fzalt0") end,
               call = function(ctx) return ctx.a:link("fa0"), "fzalt0" end },
}
T.ns.nsid = { call = function(ctx) return ctx.a, ctx.b end }
T.ns.set_nsid = { call = function(ctx) return ctx.a, ctx.b, "auto" end }
T.ns.nsids = { call = function(ctx) return ctx.a end, iter = true }
local function first(it) if type(it) == "function" then return it() end end
M.first = first
-- A vlan object of fa1 (none on a kernel without VLAN filtering: the call
-- then raises on its nil self, and is checked as a call that raises).
local function brvlan(tpl)
  return function(ctx)
    local l = ctx.a:link("fa1")
    if l then l:vlan_add{ vid = 30 } end
    local v = l and first(l:vlans())
    tpl.raises = v == nil
    return v
  end
end
T.brvlan = {}
for _, m in ipairs{ "ns", "totable", "delete" } do
  T.brvlan[m] = {}
  T.brvlan[m].call = brvlan(T.brvlan[m])
end
for short, get in pairs{
  addr = function(ctx) return first(ctx.a:addrs{ dev = "fa0" }) end,
  route = function(ctx) return first(ctx.a:routes{ table = 100 }) end,
  rule = function(ctx) return ctx.rule(ctx) end,
  neigh = function(ctx) return first(ctx.a:neighs{ dev = "fa0" }) end,
  ntable = function(ctx) return first(ctx.a:ntables{ dev = "fa0" }) end,
  nexthop = function(ctx)
    ctx.a:nexthop_add{ id = 80, gateway = "10.7.0.2", dev = "fa0" }
    return first(ctx.a:nexthops{ id = 80 })
  end,
  fdb = function(ctx)
    ctx.a:fdb_add{ dev = "fa1", lladdr = "02:00:00:00:01:05", master = true, static = true }
    return first(ctx.a:fdbs{ dev = "fa1" })
  end,
} do
  T[short] = {
    ns = { call = get }, totable = { call = get },
  }
end
T.addr.delete = { setup = function(ctx) ctx.a:addr_add{ dev = "fa0", address = "10.7.6.1/24" } end,
  call = function(ctx) for a in ctx.a:addrs{ dev = "fa0" } do if a.cidr == "10.7.6.1/24" then return a end end end }
T.route.delete = { setup = function(ctx) ctx.a:route_add{ dst = "10.8.6.0/24", dev = "fa0", table = 101 } end,
  call = function(ctx) return first(ctx.a:routes{ table = 101 }) end }
T.rule.delete = { setup = function(ctx) ctx.a:rule_add{ to = "192.168.9.0/24", table = 101, priority = 1300 } end,
  call = function(ctx) for r in ctx.a:rules() do if r.priority == 1300 then return r end end end }
T.nexthop.delete = { setup = function(ctx) ctx.a:nexthop_add{ id = 82, gateway = "10.7.0.2", dev = "fa0" } end,
  call = function(ctx) return first(ctx.a:nexthops{ id = 82 }) end }
T.fdb.delete = { setup = function(ctx) ctx.a:fdb_add{ dev = "fa1", lladdr = "02:00:00:00:01:06", master = true, static = true } end,
  call = function(ctx) for f in ctx.a:fdbs{ dev = "fa1" } do if f.lladdr == "02:00:00:00:01:06" then return f end end end }
T.neigh.delete = { setup = function(ctx) ctx.a:neigh_add{ dst = "10.7.0.23", lladdr = "02:00:00:00:00:23", dev = "fa0" } end,
  call = function(ctx) for n in ctx.a:neighs{ dev = "fa0" } do if n.dst == "10.7.0.23" then return n end end end }

-- A monitor of every group with an event of each kind queued (a link
-- changed, an address, a route, a rule and a neighbour added and removed),
-- so that reading builds every kind of object.
local function monitor_with_events(ctx)
  local a = ctx.a
  local m = a:monitor{ "link", "addr", "route", "neigh", "rule", rcvbuf = 1048576 }
  if not m then return nil end
  local l = a:link("fa0")
  if l then l:set{ mtu = l.mtu == 1500 and 1490 or 1500 } end
  a:addr_add{ dev = "fa0", address = "10.7.9.1/24" }
  a:addr_del{ dev = "fa0", address = "10.7.9.1/24" }
  a:route_add{ dst = "10.8.9.0/24", dev = "fa0", table = 102 }
  a:route_del{ dst = "10.8.9.0/24", table = 102 }
  a:rule_add{ to = "192.168.19.0/24", table = 102, priority = 1400 }
  a:rule_del{ to = "192.168.19.0/24", table = 102, priority = 1400 }
  a:neigh_add{ dst = "10.7.0.24", lladdr = "02:00:00:00:00:24", dev = "fa0" }
  a:neigh_del{ dst = "10.7.0.24", dev = "fa0" }
  return m
end
M.monitor_with_events = monitor_with_events
-- traffic control on fa0 (tbf, htb and its classes, ingress with a u32 filter)
local function fa0(ctx) return ctx.a:link("fa0") end
-- (TBF() and U32() make fresh tables: the fuzzer sets odd values in the
-- options a template returns, which must not reach the next case's setup)
local function TBF() return { kind = "tbf", handle = "9:", rate = "10mbit", burst = "32kb", latency = "50ms" } end
local function htb(ctx) fa0(ctx):qdisc_replace{ kind = "htb", handle = "9:" } end
local function ingress(ctx) fa0(ctx):qdisc_replace{ kind = "ingress" } end
local function clear(ctx) local l = fa0(ctx); if l then l:qdisc_del{}; l:qdisc_del{ kind = "ingress" } end end
local function U32() return { kind = "u32", parent = "ingress", prio = 5, match = { dst = "10.0.0.0/8" },
                             action = { kind = "mirred", dev = "fa1" } } end
for k, v in pairs{
  qdisc_add = { call = function(ctx) return fa0(ctx), TBF() end, after = clear },
  qdisc_replace = { call = function(ctx) return fa0(ctx), TBF() end, after = clear },
  qdisc_change = { setup = function(ctx) fa0(ctx):qdisc_replace(TBF()) end,
                   call = function(ctx) return fa0(ctx), { kind = "tbf", handle = "9:", rate = "20mbit", burst = "32kb", limit = 100000 } end,
                   after = clear },
  qdisc_del = { setup = function(ctx) fa0(ctx):qdisc_replace(TBF()) end,
                call = function(ctx) return fa0(ctx), { parent = "root" } end },
  qdiscs = { setup = htb, call = function(ctx) return fa0(ctx) end, iter = true, after = clear },
  class_add = { setup = htb, call = function(ctx) return fa0(ctx), { kind = "htb", classid = "9:10", rate = "5mbit", ceil = "10mbit", burst = "15k", prio = 1 } end,
                after = clear },
  class_replace = { setup = htb, call = function(ctx) return fa0(ctx), { kind = "htb", classid = "9:10", rate = "5mbit" } end,
                    after = clear },
  class_change = { setup = function(ctx) htb(ctx); fa0(ctx):class_replace{ kind = "htb", classid = "9:10", rate = "1mbit" } end,
                   call = function(ctx) return fa0(ctx), { kind = "htb", classid = "9:10", rate = "2mbit" } end, after = clear },
  class_del = { setup = function(ctx) htb(ctx); fa0(ctx):class_replace{ kind = "htb", classid = "9:10", rate = "1mbit" } end,
                call = function(ctx) return fa0(ctx), { classid = "9:10" } end, after = clear },
  classes = { setup = function(ctx) htb(ctx); fa0(ctx):class_replace{ kind = "htb", classid = "9:10", rate = "1mbit" } end,
              call = function(ctx) return fa0(ctx) end, iter = true, after = clear },
  filter_add = { setup = ingress, call = function(ctx) return fa0(ctx), U32() end, after = clear },
  filter_replace = { setup = ingress, call = function(ctx) return fa0(ctx), U32() end, after = clear },
  filter_change = { setup = function(ctx) ingress(ctx); fa0(ctx):filter_add(U32()) end,
                    call = function(ctx) return fa0(ctx), { kind = "u32", parent = "ingress", prio = 5, handle = "800::800", classid = "1:1" } end,
                    after = clear },
  filter_del = { setup = function(ctx) ingress(ctx); fa0(ctx):filter_add(U32()) end,
                 call = function(ctx) return fa0(ctx), { parent = "ingress", prio = 5 } end, after = clear },
  filters = { setup = function(ctx) ingress(ctx); fa0(ctx):filter_add(U32()) end,
              call = function(ctx) return fa0(ctx), { parent = "ingress" } end, iter = true, after = clear },
} do T.link[k] = v end
-- impairment (lua/vnet/impair.lua): tbf egress, ingress through an ifb
local function unimpair(ctx) local l = fa0(ctx); if l then l:impair(false) end end
T.link.impair = { call = function(ctx) return fa0(ctx), { rate = "10mbit", limit = 100,
                                                          ingress = { rate = "1mbit" } } end,
                  after = unimpair }
T.link.impairment = { setup = function(ctx) fa0(ctx):impair{ rate = "5mbit", ingress = { rate = "1mbit" } } end,
                      call = function(ctx) return fa0(ctx) end, after = unimpair }
T.ns.qdiscs = { setup = htb, call = function(ctx) return ctx.a, { dev = "fa0" } end, iter = true, after = clear }
local function tc_obj(make, list, opts)
  local function get(ctx)
    make(ctx)
    local l = fa0(ctx)
    for x in l[list](l, opts) do if x.kind ~= "u32" or x.match then return x end end
  end
  return { ns = { call = get, after = clear }, totable = { call = get, after = clear },
           delete = { call = get, after = clear } }
end
T.qdisc = tc_obj(htb, "qdiscs")
T.class = tc_obj(function(ctx) htb(ctx); fa0(ctx):class_replace{ kind = "htb", classid = "9:10", rate = "1mbit" } end, "classes")
T.filter = tc_obj(function(ctx) ingress(ctx); fa0(ctx):filter_add(U32()) end, "filters", { parent = "ingress" })
-- A process that has ended (its output waiting in the pipes), and one that
-- runs until it is killed or closed.
local function ended(ctx)
  local p = ctx.a:spawn{ "sh", "-c", "echo out; echo err >&2" }
  if p then p:wait(5) end
  return p
end
local function running(ctx)
  return ctx.a:spawn{ "sleep", "30", stdin = "pipe", stderr = "null" }
end
T.ns.spawn = { call = function(ctx) return ctx.a, { "sh", "-c", "cat; echo err >&2", stdin = "pipe",
                                                    stdout = "pipe", stderr = "stdout", cwd = "/",
                                                    env = { FZ = "1", HOME = false }, timeout = 5 } end }
T.process = {
  read = { call = function(ctx) return ended(ctx), "stderr", 100 end },
  write = { call = function(ctx) return running(ctx), "data" end, binary = { [1] = true } },
  close_stdin = { call = function(ctx) return running(ctx) end },
  wait = { call = function(ctx) return ended(ctx), 0.01 end },
  kill = { call = function(ctx) return running(ctx), "USR1" end },
  close = { call = function(ctx) return running(ctx) end },
  totable = { call = function(ctx) return ended(ctx) end },
}
T.addr.wait = { call = function(ctx) return first(ctx.a:addrs{ dev = "fa0" }), { dad = "done", timeout = 0.5 } end }
T.ns.monitor = { call = function(ctx) return ctx.a, { "link", "ipv4-addr", "ipv6-route", rcvbuf = 65536 } end }
T.monitor = {
  totable = { call = function(ctx) return ctx.a:monitor{ "link", "rule" } end },
  read = { call = function(ctx) return monitor_with_events(ctx) end },
  wait = { call = function(ctx) return monitor_with_events(ctx), 0.01 end },
  events = { call = function(ctx) return monitor_with_events(ctx), 0 end, iter = true },
  close = { call = function(ctx) return ctx.a:monitor{ "neigh" } end },
}

--- M.kind_template(kind) -> a template of ns:link_add for that kind: what
-- a minimal link of it takes is the core's row (vnet.core.kind).
function M.kind_template(kind)
  return {
    call = function(ctx)
      local o = { name = "fzk", kind = kind, mtu = 1400 }
      local row = vnet.core.kind(kind)
      for k, v in pairs(row and row.probe or {}) do o[k] = v end
      if row and row.parent then o.parent = "fa0" end
      if kind == "veth" then o.peer = "fzkp" end
      return ctx.a, o
    end,
    after = function(ctx) local l = ctx.a:link("fzk"); if l then l:delete() end end,
  }
end

--- M.template(entry) -> the template of an entry, or nil.
function M.template(e)
  local t = T[e.owner]
  return t and t[e.name]
end

--- M.untemplated(entries) -> names of the methods/functions with no valid call.
function M.untemplated(entries)
  local out = {}
  for _, e in ipairs(entries) do
    if not e.owner:match("^meta:") and not M.template(e) then out[#out + 1] = e.owner .. "." .. e.name end
  end
  return out
end

-- The fixture ----------------------------------------------------------------
-- Two scratch namespaces A and B named prefix.."a" and prefix.."b": in A a veth
-- pair fa0/fa1 (fa1 a port of the bridge fbr0), an address, a route in table
-- 100, a rule and a neighbour; in B a veth pair fb0/fb1 with an address.
-- ctx:ensure() puts back what a call removed or closed.
local fixture = {}
fixture.__index = fixture

function M.fixture(prefix)
  local ctx = setmetatable({ prefix = prefix, n = 0, extra = {},
                             a_name = prefix .. "a", b_name = prefix .. "b" }, fixture)
  ctx.rule = function(c)
    for r in c.a:rules() do if r.priority == 1000 then return r end end
  end
  -- a fixture always starts from nothing (a crashed run may have left one)
  vnet.netns.delete(ctx.a_name); vnet.netns.delete(ctx.b_name)
  return ctx
end

local function handle(name)
  local h = vnet.netns.open(name)
  if h then return h end
  h = assert(vnet.netns.add(name))
  return h, true
end

local function fill_a(a)
  assert(a:link_add{ name = "fa0", kind = "veth", peer = "fa1", up = true })
  assert(a:link_add{ name = "fbr0", kind = "bridge", up = true })
  assert(a:link("fa1"):set{ master = a:link("fbr0"), up = true })
  assert(a:addr_add{ dev = "fa0", address = "10.7.0.1/24" })
  assert(a:route_add{ dst = "10.8.0.0/24", dev = "fa0", table = 100 })
  assert(a:rule_add{ from = "192.168.7.1/32", table = 100, priority = 1000 })
  assert(a:neigh_add{ dst = "10.7.0.9", lladdr = "02:00:00:00:00:09", dev = "fa0" })
end

local function fill_b(b)
  assert(b:link_add{ name = "fb0", kind = "veth", peer = "fb1", up = true })
  assert(b:addr_add{ dev = "fb0", address = "10.6.0.1/24" })
  assert(b:route_add{ dst = "10.5.0.0/24", dev = "fb0" })
end

--- ctx:ensure(): A and B exist, are open and hold their objects.
function fixture:ensure()
  for _, s in ipairs{ "a", "b" } do
    local h = self[s]
    if h == nil or h.closed or not vnet.netns.open(self[s .. "_name"]) then
      if h and not h.closed then h:close() end
      self[s] = handle(self[s .. "_name"])
    end
  end
  local a, b = self.a, self.b
  if not (a:link("fa0") and a:link("fa1") and a:link("fbr0")) or not self.rule(self)
     or not first(a:routes{ table = 100 }) or not first(a:neighs{ dev = "fa0" }) then
    for l in a:links() do if l.name ~= "lo" then l:delete() end end
    for r in a:rules() do if r.priority == 1000 then r:delete() end end
    fill_a(a)
  end
  if not (b:link("fb0") and b:link("fb1")) then
    for l in b:links() do if l.name ~= "lo" then l:delete() end end
    fill_b(b)
  end
  -- the fixture's address may have been removed alone
  if not first(a:addrs{ dev = "fa0", family = "inet" }) then a:addr_add{ dev = "fa0", address = "10.7.0.1/24" } end
  if not first(b:addrs{ dev = "fb0", family = "inet" }) then b:addr_add{ dev = "fb0", address = "10.6.0.1/24" } end
end

--- ctx:teardown(): removes every namespace of the fixture.
function fixture:teardown()
  for _, s in ipairs{ "a", "b" } do
    if self[s] and not self[s].closed then self[s]:close() end
    vnet.netns.delete(self[s .. "_name"])
  end
  for _, n in ipairs(self.extra) do vnet.netns.delete(n) end
  vnet.netns.delete(self.prefix .. "new"); vnet.netns.delete(self.prefix .. "old")
  self.extra = {}
end

-- vnet.features() (also vnet.core.features): probes every kind once
T["vnet"].features = { call = function() return nil end }
T["vnet.core"].features = T["vnet"].features

return M
