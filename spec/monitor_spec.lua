local H = require "spec.helper"
local vnet = H.vnet

-- seconds since boot (1/100 s): a wall clock for timing waits
local function uptime()
  local f = assert(io.open("/proc/uptime"))
  local t = f:read("*n")
  f:close()
  return t
end

-- every event queued now (and what arrives within t seconds of the last)
local function drain(mon, t)
  local out = {}
  for ev in mon:events(t or 0.2) do out[#out + 1] = ev end
  return out
end

-- the events of kind (and type) whose object passes pred
local function pick(evs, kind, typ, pred)
  local out = {}
  for _, ev in ipairs(evs) do
    if ev.kind == kind and (not typ or ev.type == typ) and (not pred or pred(ev.object)) then
      out[#out + 1] = ev
    end
  end
  return out
end

describe("ns:monitor", function()
  after_each(H.cleanup)

  it("delivers link events, new and del, with link objects as ip shows them", function()
    local ns, name = H.ns("mlink")
    local mon = assert(ns:monitor{ "link" })
    H.ipdo(name, "link", "add", "m0", "type", "veth", "peer", "name", "m1")
    local ip = H.iplinks(name)
    local evs = drain(mon)
    local m0 = pick(evs, "link", "new", function(l) return l.name == "m0" end)
    local m1 = pick(evs, "link", "new", function(l) return l.name == "m1" end)
    assert.is_true(#m0 >= 1 and #m1 >= 1)
    assert.are.equal(ip.m0.ifindex, m0[1].object.index)
    assert.are.equal(ip.m1.ifindex, m1[1].object.index)
    assert.are.equal("veth", m0[1].object.kind)
    assert.are.equal(ip.m0.address, m0[1].object.address)
    assert.are.equal(ns, m0[1].object:ns())
    -- a change is a "new" event too (as ip monitor shows it)
    assert(ns:link("m0"):set{ up = true, mtu = 1400 })
    evs = drain(mon)
    local ch = pick(evs, "link", "new", function(l) return l.name == "m0" and l.mtu == 1400 end)
    assert.is_true(#ch >= 1)
    assert.is_true(ch[#ch].object.up)
    H.ipdo(name, "link", "del", "m0")
    evs = drain(mon)
    assert.are.equal(1, #pick(evs, "link", "del", function(l) return l.name == "m0" end))
    assert.are.equal(1, #pick(evs, "link", "del", function(l) return l.name == "m1" end))
    -- only link events: the link's addresses and routes are not subscribed
    for _, ev in ipairs(evs) do assert.are.equal("link", ev.kind) end
    mon:close()
  end)

  it("delivers address events, from ip and from vnet", function()
    local ns, name = H.ns("maddr")
    local v = assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1", up = true })
    local mon = assert(ns:monitor{ "addr" })
    H.ipdo(name, "addr", "add", "10.3.0.1/24", "dev", "v0")
    assert(v:addr_add("2001:db8:3::1/64", { nodad = nil }))
    local evs = drain(mon)
    local a4 = pick(evs, "addr", "new", function(a) return a.address == "10.3.0.1" end)
    local a6 = pick(evs, "addr", "new", function(a) return a.address == "2001:db8:3::1" end)
    assert.are.equal(1, #a4)
    assert.is_true(#a6 >= 1)
    local o = a4[1].object
    local ipa = H.ip(name, "addr", "show", "dev", "v0")[1].addr_info
    local seen
    for _, x in ipairs(ipa) do if x["local"] == "10.3.0.1" then seen = x end end
    assert.are.equal(seen.prefixlen, o.prefixlen)
    assert.are.equal(v.index, o.dev)
    assert.are.equal("inet", o.family)
    assert.are.equal("inet6", a6[1].object.family)
    assert(ns:addr_del{ dev = "v0", address = "10.3.0.1/24" })
    evs = drain(mon)
    assert.are.equal(1, #pick(evs, "addr", "del", function(a) return a.cidr == "10.3.0.1/24" end))
  end)

  it("takes family groups: ipv6-addr gets no IPv4 address", function()
    local ns, name = H.ns("mfam")
    assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
    local mon = assert(ns:monitor{ "ipv6-addr" })
    H.ipdo(name, "addr", "add", "10.4.0.1/24", "dev", "v0")
    H.ipdo(name, "addr", "add", "2001:db8:4::1/64", "dev", "v0", "nodad")
    local evs = drain(mon)
    assert.is_true(#evs >= 1)
    for _, ev in ipairs(evs) do assert.are.equal("inet6", ev.object.family) end
    assert.are.same({ "ipv6-addr" }, mon.groups)
  end)

  it("delivers route events whose objects match ip route", function()
    local ns, name = H.ns("mroute")
    assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1", up = true })
    assert(ns:link("v1"):set{ up = true })
    H.ipdo(name, "addr", "add", "10.5.0.1/24", "dev", "v0")
    local mon = assert(ns:monitor{ "route" })
    H.ipdo(name, "route", "add", "10.6.0.0/24", "via", "10.5.0.2", "table", "100")
    assert(ns:route_add{ dst = "2001:db8:6::/64", dev = "v0", metric = 7 })
    local evs = drain(mon)
    local r4 = pick(evs, "route", "new", function(r) return r.dst == "10.6.0.0/24" end)
    local r6 = pick(evs, "route", "new", function(r) return r.dst == "2001:db8:6::/64" end)
    assert.are.equal(1, #r4)
    assert.are.equal(1, #r6)
    local ipr = H.ip(name, "route", "show", "table", "100")[1]
    assert.are.equal(ipr.gateway, r4[1].object.gateway)
    assert.are.equal(100, r4[1].object.table)
    assert.are.equal(7, r6[1].object.metric)
    -- the object is a route like any other: it can delete itself
    assert(r4[1].object:delete())
    evs = drain(mon)
    assert.are.equal(1, #pick(evs, "route", "del", function(r) return r.dst == "10.6.0.0/24" end))
    assert.are.same({}, H.ip(name, "route", "show", "table", "100"))
  end)

  it("delivers rule events", function()
    local ns, name = H.ns("mrule")
    local mon = assert(ns:monitor{ "rule" })
    H.ipdo(name, "rule", "add", "pref", "77", "from", "192.0.2.0/24", "table", "5")
    local evs = drain(mon)
    local r = pick(evs, "rule", "new", function(x) return x.priority == 77 end)
    assert.are.equal(1, #r)
    assert.are.equal("192.0.2.0/24", r[1].object.from)
    assert.are.equal(5, r[1].object.table)
    H.ipdo(name, "rule", "del", "pref", "77")
    evs = drain(mon)
    assert.are.equal(1, #pick(evs, "rule", "del", function(x) return x.priority == 77 end))
  end)

  it("delivers nexthop events", function()
    local ns, name = H.ns("mnh")
    assert(ns:link("lo"):set{ up = true })      -- a blackhole nexthop uses lo
    assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1", up = true })
    assert(ns:link("v1"):set{ up = true })
    assert(ns:addr_add{ dev = "v0", address = "10.7.0.1/24" })
    local mon = assert(ns:monitor{ "nexthop" })
    H.ipdo(name, "nexthop", "add", "id", "41", "via", "10.7.0.2", "dev", "v0")
    assert(ns:nexthop_add{ id = 42, blackhole = true })
    local evs = drain(mon)
    local a = pick(evs, "nexthop", "new", function(n) return n.id == 41 end)
    local b = pick(evs, "nexthop", "new", function(n) return n.id == 42 end)
    assert.are.equal(1, #a)
    assert.are.equal(1, #b)
    assert.are.equal("10.7.0.2", a[1].object.gateway)
    assert.is_true(b[1].object.blackhole)
    H.ipdo(name, "nexthop", "del", "id", "41")
    evs = drain(mon)
    assert.are.equal(1, #pick(evs, "nexthop", "del", function(n) return n.id == 41 end))
  end)

  it("delivers neighbour events", function()
    local ns, name = H.ns("mneigh")
    assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
    local mon = assert(ns:monitor{ "neigh" })
    H.ipdo(name, "neigh", "add", "10.7.0.5", "lladdr", "02:00:00:00:00:05", "dev", "v0")
    assert(ns:neigh_add{ dst = "2001:db8::5", lladdr = "02:00:00:00:00:06", dev = "v0" })
    local evs = drain(mon)
    local n4 = pick(evs, "neigh", "new", function(n) return n.dst == "10.7.0.5" end)
    local n6 = pick(evs, "neigh", "new", function(n) return n.dst == "2001:db8::5" end)
    assert.are.equal(1, #n4)
    assert.are.equal(1, #n6)
    local ipn = H.ip(name, "neigh", "show", "nud", "all", "dev", "v0")
    local o
    for _, x in ipairs(ipn) do if x.dst == "10.7.0.5" then o = x end end
    assert.are.equal(o.lladdr, n4[1].object.lladdr)
    assert.are.equal("permanent", n4[1].object.state)
    H.ipdo(name, "neigh", "del", "10.7.0.5", "dev", "v0")
    evs = drain(mon)
    assert.are.equal(1, #pick(evs, "neigh", "del", function(n) return n.dst == "10.7.0.5" end))
  end)

  it("with no group names subscribes to every group", function()
    local ns, name = H.ns("mall")
    local mon = assert(ns:monitor())
    assert.are.same({ "link", "addr", "route", "neigh", "rule", "nexthop" }, mon.groups)
    assert.are.same(mon.groups, assert(ns:monitor{ "all" }).groups)
    assert.are.same(mon.groups, assert(ns:monitor{ rcvbuf = 65536 }).groups)
    H.ipdo(name, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
    H.ipdo(name, "link", "set", "v0", "up")
    H.ipdo(name, "addr", "add", "10.8.0.1/24", "dev", "v0")
    local kinds = {}
    for _, ev in ipairs(drain(mon)) do kinds[ev.kind] = true end
    assert.is_true(kinds.link and kinds.addr and kinds.route)
  end)

  it("sees its own namespace only", function()
    local a = H.ns("miso")
    local _, bname = H.ns("miso")
    local mon = assert(a:monitor())
    H.ipdo(bname, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
    assert.are.same({}, drain(mon, 0.1))
  end)

  it("has a pollable fd: read never blocks, wait is bounded", function()
    local ns, name = H.ns("mpoll")
    local mon = assert(ns:monitor{ "link" })
    assert.are.equal("number", type(mon.fd))
    assert.are.equal(math.floor(mon.fd), mon.fd)
    assert.is_true(mon.fd > 2)
    assert.are.equal(0, select("#", mon:read()))
    -- nothing queued: wait returns after about the timeout
    local t0 = uptime()
    local ev, msg, en = mon:wait(0.5)
    local dt = uptime() - t0
    assert.is_nil(ev)
    assert.are.equal("timeout", msg)
    assert.are.equal("ETIMEDOUT", en)
    assert.is_true(dt >= 0.45 and dt < 2, "waited " .. dt)
    -- wait(0) is a read
    assert.are.equal("timeout", select(2, mon:wait(0)))
    -- an event queued: wait returns at once
    H.ipdo(name, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
    t0 = uptime()
    ev = mon:wait(5)
    assert.is_true(uptime() - t0 < 1)
    assert.are.equal("link", ev.kind)
    -- events() with the default timeout takes what is queued and ends
    local n = 0
    for e in mon:events() do n = n + 1; assert.are.equal("link", e.kind) end
    assert.is_true(n >= 1)
    assert.are.equal(0, select("#", mon:read()))
  end)

  it("reports a receive overrun as an event, then goes on", function()
    local ns, name = H.ns("mover")
    assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1", up = true })
    local mon = assert(ns:monitor{ "route", rcvbuf = 4096 })
    local cmds = {}
    for i = 1, 3000 do
      cmds[#cmds + 1] = ("route add 10.%d.%d.0/24 dev v0 table 100"):format(20 + math.floor(i / 256), i % 256)
    end
    H.ipdo_batch(name, cmds)
    local evs = drain(mon, 0)
    local over, routes = 0, 0
    for _, ev in ipairs(evs) do
      if ev.type == "overrun" then
        over = over + 1
        assert.is_nil(ev.kind)
        assert.is_nil(ev.object)
      else
        routes = routes + 1
      end
    end
    assert.is_true(over >= 1, "no overrun among " .. #evs .. " events")
    assert.is_true(routes < 3000)
    -- the monitor still works
    H.ipdo(name, "route", "add", "10.99.0.0/24", "dev", "v0")
    local ev = assert(mon:wait(2))
    assert.are.equal("route", ev.kind)
    assert.are.equal("10.99.0.0/24", ev.object.dst)
  end)

  it("closes once, by close, __close or the collector; use after close raises", function()
    local ns, name = H.ns("mclose")
    local mon = assert(ns:monitor{ "link" })
    local fd = mon.fd
    assert.is_false(mon.closed)
    mon:close()
    mon:close()
    assert.is_true(mon.closed)
    assert.are.equal("vnet.monitor (closed)", tostring(mon))
    H.raises(function() return mon:read() end, "closed vnet.monitor")
    H.raises(function() return mon:wait(0) end, "closed vnet.monitor")
    H.raises(function() return mon:events() end, "closed vnet.monitor")
    H.raises(function() return mon.fd end, "closed vnet.monitor")
    H.raises(function() return mon:totable() end, "closed vnet.monitor")
    -- the fd was closed: the next socket may take its number
    local m2 = assert(ns:monitor{ "link" })
    assert.are.equal(fd, m2.fd)
    getmetatable(m2).__close(m2)
    assert.is_true(m2.closed)
    getmetatable(m2).__gc(m2)
    -- an iterator of a monitor closed under it raises
    local m3 = assert(ns:monitor{ "link" })
    local it = m3:events(0)
    m3:close()
    H.raises(it, "closed vnet.monitor")
    for _ = 1, 3 do ns:monitor() end
    collectgarbage(); collectgarbage()
    -- a monitor outlives the closing of its handle
    local m4 = assert(ns:monitor{ "link" })
    ns:close()
    H.ipdo(name, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
    local ev = assert(m4:wait(2))
    assert.are.equal("link", ev.kind)
    m4:close()
  end)

  it("raises on a closed handle and on bad options, naming them", function()
    local ns = H.ns("mbad")
    for _, case in ipairs{
      { { "links" }, "unknown group 'links'" },
      { { "link", "nsid" }, "unknown group 'nsid'" },
      { { "" }, "unknown group ''" },
      { { 5 }, "group 1 must be a string" },
      { { "link", true }, "group 2 must be a string" },
      { { "li\0nk" }, "group" },
      { { ("x"):rep(100000) }, "group" },
      { { groups = "link" }, "unknown option 'groups'" },
      { { rcvbuf = 2 ^ 31 }, "rcvbuf" },
      { { rcvbuf = 2 ^ 63 }, "rcvbuf" },
      { { rcvbuf = 4294967297 }, "rcvbuf" },
      { { rcvbuf = 0 / 0 }, "rcvbuf" },
      { { rcvbuf = 1.5 }, "rcvbuf" },
      { { rcvbuf = "4096" }, "rcvbuf" },
      { { rcvbuf = -1 }, "rcvbuf" },
      { { [3] = "link" }, "monitor" },
      { { [1.5] = "link" }, "monitor" },
      { { [true] = "link" }, "monitor" },
    } do
      H.raises(function() return ns:monitor(case[1]) end, "monitor", case[2])
    end
    H.raises(function() return ns:monitor("link") end, "monitor")
    -- options from __index: the rcvbuf read through it is checked too
    local proxy = setmetatable({ "link" }, { __index = function(_, k)
      if k == "rcvbuf" then return 2 ^ 40 end end })
    H.raises(function() return ns:monitor(proxy) end, "rcvbuf")
    -- group names from __index would be missed by the raw read: refused,
    -- not taken as "no groups" (every group)
    H.raises(function() return ns:monitor(setmetatable({}, { __index = { "link" } })) end,
      "monitor: group names must be in a plain table")
    H.raises(function() return ns:monitor(setmetatable({ "link" }, {})) end,
      "monitor: group names must be in a plain table")
    local mon = assert(ns:monitor{ "link" })
    for _, t in ipairs{ -1, 0 / 0, math.huge, -math.huge, 2 ^ 63, "1", true, {} } do
      H.raises(function() return mon:wait(t) end, "wait", "timeout")
      H.raises(function() return mon:events(t) end, "events", "timeout")
    end
    H.raises(function() return mon.read(ns) end, "vnet.monitor")
    H.raises(function() return mon.wait(nil) end, "vnet.monitor")
    ns:close()
    H.raises(function() return ns:monitor{ "link" } end, "closed vnet.netns")
  end)
end)

describe("link:wait", function()
  after_each(H.cleanup)

  local fds = H.fd_count

  -- runs `ip -n name args` after a delay, in the background
  local function later(delay, name, args)
    os.execute(("(sleep %s; ip -n %s %s) >/dev/null 2>&1 &"):format(delay, H.quote(name), args))
  end

  it("returns the link, refreshed, once it is up or has a carrier", function()
    local ns, name = H.ns("lwait")
    local v = assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
    -- no collection between the two counts: an fd closed by the collector
    -- (of an earlier spec's object) would hide or fake a change
    collectgarbage(); collectgarbage()
    collectgarbage("stop")
    finally(function() collectgarbage("restart") end)
    local n0 = fds()
    assert.is_false(v.up)
    later(0.3, name, "link set v0 up")
    local t0 = uptime()
    local l = assert(v:wait{ up = true, timeout = 5 })
    local dt = uptime() - t0
    assert.are.equal(v, l)
    assert.is_true(v.up)
    assert.is_true(dt >= 0.2 and dt < 3, "waited " .. dt)
    local flags = table.concat(H.iplink(name, "v0").flags, ",")
    assert.truthy(("," .. flags .. ","):find(",UP,", 1, true), flags)
    -- the peer is down: no carrier within the timeout
    t0 = uptime()
    H.fails("ETIMEDOUT", v:wait{ carrier = true, timeout = 0.3 })
    dt = uptime() - t0
    assert.is_true(dt >= 0.25 and dt < 2, "waited " .. dt)
    later(0.2, name, "link set v1 up")
    assert(v:wait{ carrier = true, up = true, timeout = 5 })
    assert.is_true(v.carrier)
    -- a state already reached returns at once
    t0 = uptime()
    assert(v:wait{ up = true, timeout = 5 })
    assert.is_true(uptime() - t0 < 1)
    later(0.2, name, "link set v1 down")
    assert(v:wait{ carrier = false })
    assert.is_false(v.carrier)
    -- each wait's monitor is closed when it returns
    assert.are.equal(n0, fds())
  end)

  it("fails with ENODEV when the link is removed while waiting", function()
    local ns, name = H.ns("lwdel")
    local v = assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
    later(0.2, name, "link del v0")
    local msg = H.fails("ENODEV", v:wait{ up = true, timeout = 5 })
    assert.truthy(msg:find("wait v0", 1, true))
  end)

  it("raises on bad options", function()
    local ns = H.ns("lwbad")
    local v = assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
    H.raises(function() return v:wait() end, "wait")
    H.raises(function() return v:wait{} end, "wait", "'up' or 'carrier'")
    H.raises(function() return v:wait{ timeout = 1 } end, "wait", "'up' or 'carrier'")
    H.raises(function() return v:wait{ up = true, upp = true } end, "wait", "upp")
    H.raises(function() return v:wait{ up = "yes" } end, "wait", "up")
    for _, t in ipairs{ -1, 0 / 0, math.huge, 2 ^ 63, "1" } do
      H.raises(function() return v:wait{ up = true, timeout = t } end, "wait", "timeout")
    end
    ns:batch(function()
      H.raises(function() return v:wait{ up = true } end, "wait", "batch")
    end)
    ns:close()
    H.raises(function() return v:wait{ up = true } end, "closed vnet.netns")
  end)
end)
