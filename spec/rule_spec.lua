local H = require "spec.helper"
local unpack = table.unpack or unpack

-- `ip -j -d [-6] rule show`
local function iprules(name, family)
  return H.ip(name, family == "inet6" and "-6" or "-4", "rule", "show")
end

local function at(list, prio)
  for _, e in ipairs(list) do
    if e.priority == prio then return e end
  end
end

local function hex(n) return n and ("0x%x"):format(n) end

-- One comparable line per rule, from ip's JSON and from a vnet rule.
local function ipkey(e)
  local from = e.src == "all" and "all" or (e.src .. "/" .. (e.srclen or (e.src:find(":") and 128 or 32)))
  local to = e.dst and (e.dst .. "/" .. (e.dstlen or (e.dst:find(":") and 128 or 32))) or "all"
  local fwmask = e.fwmask or (e.fwmark and "0xffffffff")
  return table.concat({ tostring(e.priority), e["not"] ~= nil and "not" or "-", from, to,
    e.iif or "-", e.oif or "-", e.fwmark or "-", fwmask or "-",
    e.action or (e.nop ~= nil and "nop") or (e["goto"] and "goto" or "lookup"), e.table or "-",
    tostring(e["goto"] or "-") }, " ")
end

local function vnkey(r)
  return table.concat({ tostring(r.priority), r.invert and "not" or "-", r.from or "all",
    r.to or "all", r.iif or "-", r.oif or "-", hex(r.fwmark) or "-", hex(r.fwmask) or "-",
    r.action, r.table and tostring(r.table) or "-", tostring(r["goto"] or "-") }, " ")
end

local function agree(ns, name, family)
  local mine, theirs = {}, {}
  for r in assert(ns:rules{ family = family }) do mine[#mine + 1] = vnkey(r) end
  for _, e in ipairs(iprules(name, family)) do theirs[#theirs + 1] = ipkey(e) end
  assert.are.same(theirs, mine) -- both in priority order
  return #mine
end

local function snapshot(name)
  return { iprules(name, "inet"), iprules(name, "inet6") }
end

describe("rules", function()
  teardown(H.cleanup)

  describe("adding", function()
    it("adds the seed's rule: from 192.168.1.10/32 table 1 pref 100", function()
      local ns, name = H.ns("seed")
      local r = assert(ns:rule_add{ from = "192.168.1.10/32", table = 1, priority = 100 })
      local e = assert(at(iprules(name), 100))
      assert.are.equal("192.168.1.10", e.src)
      assert.are.equal("1", e.table)
      assert.is_nil(e.action)
      assert.are.equal("192.168.1.10/32", r.from)
      assert.are.equal(1, r.table)
      assert.are.equal(100, r.priority)
      assert.are.equal("lookup", r.action)
      assert.are.equal("inet", r.family)
      assert.is_false(r.invert)
      assert.is_nil(r.to)
      assert.is_nil(r.fwmark)
      assert.are.equal(ns, r:ns())
      -- as ip prints it: a full-length prefix without its length
      assert.are.equal("vnet.rule: 100: from 192.168.1.10 lookup 1", tostring(r))
      local _, txt = H.sh("ip -n " .. name .. " rule show pref 100")
      assert.are.equal("100:\tfrom 192.168.1.10 lookup 1", (txt:gsub("%s+$", "")))
      local t = assert(ns:rule_add{ from = "10.0.0.0/8", to = "10.9.9.9/32", table = 1,
                                    priority = 101 })
      assert.are.equal("10.9.9.9/32", t.to)
      assert.are.equal("vnet.rule: 101: from 10.0.0.0/8 to 10.9.9.9 lookup 1", tostring(t))
      local six = assert(ns:rule_add{ from = "2001:db8::1/128", to = "2001:db8::/32", table = 1,
                                      priority = 102 })
      assert.are.equal("vnet.rule: 102: from 2001:db8::1 to 2001:db8::/32 lookup 1", tostring(six))
      _, txt = H.sh("ip -n " .. name .. " -6 rule show pref 102")
      assert.are.equal("102:\tfrom 2001:db8::1 to 2001:db8::/32 lookup 1", (txt:gsub("%s+$", "")))
    end)

    it("adds rules with every action", function()
      local ns, name = H.ns("actions")
      for i, a in ipairs({ "blackhole", "unreachable", "prohibit" }) do
        local r = assert(ns:rule_add{ to = ("10.%d.0.0/16"):format(i), action = a, priority = 200 + i })
        assert.are.equal(a, r.action)
        assert.is_nil(r.table)
        local e = assert(at(iprules(name), 200 + i))
        assert.are.equal(a, e.action)
        assert.are.equal(("10.%d.0.0"):format(i), e.dst)
        assert.are.equal(16, e.dstlen)
      end
      local r = assert(ns:rule_add{ fwmark = 5, ["goto"] = 32766, priority = 300 })
      assert.are.equal("goto", r.action)
      assert.are.equal(32766, r["goto"])
      assert.are.equal(32766, at(iprules(name), 300)["goto"])
      r = assert(ns:rule_add{ priority = 301, action = "nop" })
      assert.are.equal("nop", r.action)
      assert.are_not.equal(nil, at(iprules(name), 301).nop)
      -- table by name; lookup is the default action and main the default table
      r = assert(ns:rule_add{ from = "10.9.0.0/16", table = "main", priority = 302 })
      assert.are.equal("main", r.table)
      assert.are.equal("main", at(iprules(name), 302).table)
      r = assert(ns:rule_add{ to = "10.10.0.0/16", priority = 303 })
      assert.are.equal("main", r.table)
      assert.are.equal("lookup", r.action)
      agree(ns, name, "inet")
    end)

    it("adds fwmark/mask, iif/oif of links that do not exist yet, and inverted rules", function()
      local ns, name = H.ns("marks")
      local r = assert(ns:rule_add{ fwmark = 16, fwmask = 255, iif = "later0", table = 5,
                                    invert = true, priority = 50 })
      local e = assert(at(iprules(name), 50))
      assert.are.equal("0x10", e.fwmark)
      assert.are.equal("0xff", e.fwmask)
      assert.are.equal("later0", e.iif)
      assert.are.equal("5", e.table)
      assert.are_not.equal(nil, e["not"])
      assert.are.equal(16, r.fwmark)
      assert.are.equal(255, r.fwmask)
      assert.are.equal("later0", r.iif)
      assert.is_true(r.invert)
      assert.truthy(tostring(r):find("50: not from all fwmark 0x10/0xff iif later0 lookup 5", 1, true))
      r = assert(ns:rule_add{ oif = "later1", fwmark = 7, table = 6, priority = 51 })
      e = assert(at(iprules(name), 51))
      assert.are.equal("later1", e.oif)
      assert.are.equal("0x7", e.fwmark)
      assert.are.equal(0xffffffff, r.fwmask)
      assert.is_false(r.invert)
      -- once the link exists the rule is still there and names it
      H.ipdo(name, "link", "add", "later0", "type", "veth", "peer", "name", "later1")
      assert.are.equal("later0", at(iprules(name), 50).iif)
      agree(ns, name, "inet")
    end)

    it("adds IPv6 rules, the family taken from the addresses or given", function()
      local ns, name = H.ns("v6")
      local r = assert(ns:rule_add{ from = "2001:db8::/32", table = 7, priority = 10 })
      assert.are.equal("inet6", r.family)
      assert.are.equal("2001:db8::/32", r.from)
      local e = assert(at(iprules(name, "inet6"), 10))
      assert.are.equal("2001:db8::", e.src)
      assert.are.equal(32, e.srclen)
      assert.is_nil(at(iprules(name, "inet"), 10))
      r = assert(ns:rule_add{ family = "inet6", fwmark = 3, action = "unreachable", priority = 11 })
      assert.are.equal("inet6", r.family)
      assert.are.equal("unreachable", at(iprules(name, "inet6"), 11).action)
      assert.is_nil(at(iprules(name, "inet"), 11))
      agree(ns, name, "inet6")
    end)

    it("assigns a priority when none is given, like ip", function()
      local ns, name = H.ns("prio")
      local r = assert(ns:rule_add{ from = "10.1.0.0/16", table = 10 })
      assert.are.equal(32765, r.priority)
      local e = assert(at(iprules(name), 32765))
      assert.are.equal("10.1.0.0", e.src)
      r = assert(ns:rule_add{ from = "10.2.0.0/16", table = 10 })
      assert.are.equal(32764, r.priority)
    end)
  end)

  describe("reading", function()
    it("reads rules made by ip, field by field", function()
      local ns, name = H.ns("read")
      H.ipdo_batch(name, {
        "rule add from 192.168.1.10/32 table 1 pref 100",
        "rule add not fwmark 0x10/0xff iif foo lookup 5",
        "rule add to 10.0.0.0/8 prohibit",
        "rule add from 10.3.0.0/16 to 10.4.0.0/16 oif bar table 200 pref 7",
        "rule add fwmark 9 goto 32766 pref 8" })
      H.ipdo(name, "-6", "rule", "add", "from", "2001:db8::/32", "to", "2001:db8:1::1",
             "blackhole", "pref", "9")
      assert.are.equal(8, agree(ns, name, "inet"))
      assert.are.equal(3, agree(ns, name, "inet6"))
      local n = 0
      for _ in ns:rules() do n = n + 1 end
      assert.are.equal(11, n)
      local r
      for x in ns:rules() do if x.priority == 7 then r = x end end
      assert.are.equal("10.3.0.0/16", r.from)
      assert.are.equal("10.4.0.0/16", r.to)
      assert.are.equal("bar", r.oif)
      assert.are.equal(200, r.table)
      local t = r:totable()
      assert.are.equal("bar", t.oif)
      assert.are.equal(7, t.priority)
      assert.are.equal("vnet.rule: 7: from 10.3.0.0/16 to 10.4.0.0/16 oif bar lookup 200", tostring(r))
      for x in ns:rules{ family = "inet6" } do assert.are.equal("inet6", x.family) end
      for x in ns:rules{ family = "inet" } do assert.are.equal("inet", x.family) end
      -- __eq: the same rule read twice
      local a, b
      for x in ns:rules() do if x.priority == 100 then a = x end end
      for x in ns:rules() do if x.priority == 100 then b = x end end
      assert.are.equal(a, b)
      assert.are_not.equal(a, r)
    end)
  end)

  describe("deleting", function()
    it("deletes by fields and by object, checked by ip", function()
      local ns, name = H.ns("del")
      assert(ns:rule_add{ from = "192.168.1.10/32", table = 1, priority = 100 })
      assert(ns:rule_add{ from = "192.168.1.11/32", table = 2, priority = 101 })
      H.ipdo(name, "rule", "add", "not", "fwmark", "0x10/0xff", "iif", "foo", "lookup", "5", "pref", "90")
      H.ipdo(name, "-6", "rule", "add", "from", "2001:db8::/32", "unreachable", "pref", "91")
      assert.is_true(ns:rule_del{ priority = 100 })
      assert.is_nil(at(iprules(name), 100))
      assert.is_true(ns:rule_del{ from = "192.168.1.11/32", table = 2 })
      assert.is_nil(at(iprules(name), 101))
      for r in ns:rules() do
        if r.priority == 90 or r.priority == 91 then assert.is_true(r:delete()) end
      end
      assert.is_nil(at(iprules(name), 90))
      assert.is_nil(at(iprules(name, "inet6"), 91))
      -- the default rules are still there
      assert.are.equal(3, #iprules(name))
      assert.are.equal(2, #iprules(name, "inet6"))
    end)

    it("fails for a rule that is not there and removes nothing", function()
      local ns, name = H.ns("delmiss")
      assert(ns:rule_add{ from = "192.168.1.10/32", table = 1, priority = 100 })
      local r
      for x in ns:rules() do if x.priority == 100 then r = x end end
      local before = snapshot(name)
      H.fails("ENOENT", ns:rule_del{ priority = 4242 })
      H.fails("ENOENT", ns:rule_del{ from = "192.168.1.10/32", table = 2 })
      H.fails("ENOENT", ns:rule_del{ from = "2001:db8::/32" })
      assert.are.same(before, snapshot(name))
      assert.is_true(r:delete())
      H.fails("ENOENT", r:delete())
    end)
  end)

  describe("bad input", function()
    local ns, name, before
    setup(function()
      ns, name = H.ns("bad")
      before = snapshot(name)
    end)

    local raising = {
      { "not a table", "rule_add", "x", "options must be a table" },
      { "unknown key", "rule_add", { from = "10.0.0.0/8", tabel = 1 }, "unknown option 'tabel'" },
      { "malformed from", "rule_add", { from = "10.0.0.300/32", table = 1 }, "'from'", "10.0.0.300/32" },
      { "malformed to", "rule_add", { to = "10.0.0.0/40", table = 1 }, "'to'" },
      { "from wrong type", "rule_add", { from = 10, table = 1 }, "'from'" },
      { "mixed families", "rule_add", { from = "10.0.0.0/8", to = "2001:db8::/32" }, "'to'", "IPv4" },
      { "family and address disagree", "rule_add", { family = "inet6", from = "10.0.0.0/8" }, "'from'" },
      { "bad family", "rule_add", { family = "ipx" }, "'family'" },
      { "unknown table", "rule_add", { table = "nosuchtable" }, "'table'", "nosuchtable" },
      { "unknown action", "rule_add", { action = "drop" }, "'action'", "drop" },
      { "table with blackhole", "rule_add", { table = 5, action = "blackhole" }, "'table'" },
      { "goto without target", "rule_add", { action = "goto" }, "'goto'" },
      { "goto with another action", "rule_add", { ["goto"] = 5, action = "prohibit" }, "'goto'" },
      { "priority wrong type", "rule_add", { priority = "100", table = 1 }, "'priority'", "integer" },
      { "priority negative", "rule_add", { priority = -1, table = 1 }, "'priority'" },
      { "fwmark too big", "rule_add", { fwmark = 0x100000000, table = 1 }, "'fwmark'" },
      { "fwmask fraction", "rule_add", { fwmark = 1, fwmask = 0.5, table = 1 }, "'fwmask'" },
      { "iif too long", "rule_add", { iif = "abcdefghijklmnop", table = 1 }, "'iif'" },
      { "oif wrong type", "rule_add", { oif = 3, table = 1 }, "'oif'" },
      { "invert not boolean", "rule_add", { invert = 1, table = 1 }, "'invert'" },
      { "del, unknown key", "rule_del", { prio = 5 }, "unknown option 'prio'" },
      { "unknown tos name", "rule_add", { tos = "nope", table = 1 },
        "option 'tos': unknown rt_dsfield name 'nope'" },
      { "unknown dsfield name", "rule_add", { dsfield = "nope", table = 1 },
        "option 'dsfield': unknown rt_dsfield name 'nope'" },
      { "unknown ipproto", "rule_add", { ipproto = "nope", table = 1 },
        "option 'ipproto': unknown IP protocol 'nope'" },
      { "rules, unknown key", "rules", { famliy = "inet" }, "unknown option 'famliy'" },
      { "rules, bad family", "rules", { family = "ipx" }, "'family'" },
    }
    for _, c in ipairs(raising) do
      it("raises: " .. c[1], function()
        H.raises(function() return ns[c[2]](ns, c[3]) end, c[2], unpack(c, 4))
        assert.are.same(before, snapshot(name))
      end)
    end

    it("fails on a duplicate and leaves one rule", function()
      local dns, dname = H.ns("dup")
      assert(dns:rule_add{ from = "192.168.1.10/32", table = 1, priority = 100 })
      local was = snapshot(dname)
      H.fails("EEXIST", dns:rule_add{ from = "192.168.1.10/32", table = 1, priority = 100 })
      assert.are.same(was, snapshot(dname))
    end)
  end)
end)

describe("rule protocol", function()
  teardown(H.cleanup)
  it("tags a rule with a protocol, reads it back and filters by it", function()
    local ns, name = H.ns("rproto")
    local r = assert(ns:rule_add{ from = "10.7.0.0/16", table = 7, priority = 70, protocol = 77 })
    assert.are.equal(77, r.protocol)
    assert(ns:rule_add{ from = "10.8.0.0/16", table = 8, priority = 80, protocol = "static" })
    local seen = {}
    for _, o in ipairs(H.ip(name, "rule", "show")) do
      if o.priority == 70 or o.priority == 80 then seen[o.priority] = o.protocol end
    end
    assert.are.equal("77", tostring(seen[70]))
    assert.are.equal("static", seen[80])
    local mine = {}
    for x in ns:rules{ protocol = 77 } do mine[#mine + 1] = x.priority end
    assert.are.same({ 70 }, mine)
    assert.is_true(ns:rule_del{ from = "10.7.0.0/16", table = 7, protocol = 77 })
    H.fails("ENOENT", ns:rule_del{ from = "10.8.0.0/16", table = 8, protocol = 77 })
    H.raises(function() ns:rule_add{ table = 9, protocol = "nosuchproto" } end, "option 'protocol'")
    H.raises(function() ns:rules{ protocol = {} } end, "option 'protocol'")
  end)
end)

describe("rules the kernel completes, deleting them, and u32 priorities", function()
  teardown(H.cleanup)

  local function local_rule(list)
    for _, e in ipairs(list) do
      if e.priority == 0 and e.table == "local" then return e end
    end
  end

  it("returns the rule the kernel made for table = 0 and deletes exactly that one", function()
    local ns, name = H.ns("tbl0")
    local before = snapshot(name)
    local r = assert(ns:rule_add{ table = 0 })
    -- the kernel picked a free table and a priority: the object says which
    local mine = iprules(name)
    assert.are.equal(#before[1] + 1, #mine)
    local e
    for _, x in ipairs(mine) do
      if x.priority ~= 0 and x.priority ~= 32766 and x.priority ~= 32767 then e = x end
    end
    assert.truthy(e, "ip shows the new rule")
    assert.are.equal(e.priority, r.priority)
    assert.are_not.equal(0, r.priority)
    assert.truthy(r.table)
    assert.are.equal(e.table, tostring(r.table))
    assert.are.equal(("vnet.rule: %d: from all lookup %s"):format(e.priority, e.table), tostring(r))
    agree(ns, name, "inet")
    assert.is_true(r:delete())
    assert.are.same(before, snapshot(name))
    assert.truthy(local_rule(iprules(name)))
  end)

  it("returns the kernel's priority when none is given, also for IPv6", function()
    local ns, name = H.ns("kprio")
    -- (IPv6 has no kernel-picked table: table 0 is refused there)
    H.fails("EINVAL", ns:rule_add{ family = "inet6", table = 0 })
    local r = assert(ns:rule_add{ family = "inet6", table = 9 })
    assert.are.equal(32765, r.priority)
    local e = assert(at(iprules(name, "inet6"), r.priority))
    assert.are.equal("9", e.table)
    assert.are.equal(9, r.table)
    assert.is_true(r:delete())
    assert.truthy(local_rule(iprules(name, "inet6")))
    assert.are.equal(2, #iprules(name, "inet6"))
  end)

  it("refuses a rule_del that names no rule, and the local rules stay", function()
    local ns, name = H.ns("delnone")
    assert(ns:rule_add{ from = "10.1.0.0/16", table = 5, priority = 100 })
    local before = snapshot(name)
    local empty = {
      {}, { family = "inet" }, { family = "inet6" }, { action = "lookup" }, { table = 0 },
      { from = "all" }, { to = "default" }, { from = "0.0.0.0/0" }, { from = "::/0" },
      { fwmark = 0 }, { fwmask = 0 }, { protocol = 0 }, { invert = true },
      setmetatable({}, { __index = { family = "inet" } }),
    }
    for i, o in ipairs(empty) do
      H.raises(function() return ns:rule_del(o) end, "rule_del", "'priority'")
      assert.are.same(before, snapshot(name), "case " .. i)
    end
    assert.truthy(local_rule(iprules(name)))
    assert.truthy(local_rule(iprules(name, "inet6")))
    -- one real selector is enough, also when it comes from __index
    assert.is_true(ns:rule_del(setmetatable({}, { __index = { priority = 100 } })))
    assert.is_nil(at(iprules(name), 100))
    assert.truthy(local_rule(iprules(name)))
    -- priority 0 named on purpose is a selector
    H.fails("ENOENT", ns:rule_del{ priority = 0, table = 77 })
    assert.truthy(local_rule(iprules(name)))
  end)

  it("deletes exactly the returned rule among rules of one priority", function()
    local ns, name = H.ns("delexact")
    local made = {
      assert(ns:rule_add{ from = "10.1.0.0/16", table = 1, priority = 100 }),
      assert(ns:rule_add{ from = "10.2.0.0/16", table = 1, priority = 100 }),
      assert(ns:rule_add{ iif = "x0", from = "10.1.0.0/16", table = 1, priority = 100 }),
      assert(ns:rule_add{ fwmark = 7, from = "10.1.0.0/16", table = 1, priority = 100 }),
      assert(ns:rule_add{ from = "10.1.0.0/16", table = 2, priority = 100 }),
      assert(ns:rule_add{ from = "10.1.0.0/16", table = 1, priority = 101 }),
    }
    local function keys()
      local t = {}
      for _, e in ipairs(iprules(name)) do t[#t + 1] = ipkey(e) end
      return t
    end
    local want = {}
    for _, r in ipairs(made) do want[#want + 1] = vnkey(r) end
    -- delete from the last to the first: each time exactly that rule goes
    for i = #made, 1, -1 do
      local gone = vnkey(made[i])
      assert.is_true(made[i]:delete())
      local now = keys()
      for _, k in ipairs(now) do assert.are_not.equal(gone, k) end
      for j = 1, i - 1 do
        local found = false
        for _, k in ipairs(now) do found = found or k == want[j] end
        assert.is_true(found, want[j] .. " is still there")
      end
    end
    assert.are.equal(3, #iprules(name))
  end)

  it("never lets the kernel delete another rule that matches first", function()
    -- the kernel removes the first rule matching what a delete names, and a
    -- field left empty matches anything: 100 lookup 1 names the rules below
    local ns, name = H.ns("delfirst")
    local y1 = assert(ns:rule_add{ fwmark = 5, table = 1, priority = 100 })
    local y2 = assert(ns:rule_add{ iif = "x0", table = 1, priority = 100 })
    local y3 = assert(ns:rule_add{ from = "10.1.0.0/16", oif = "x1", table = 1, priority = 100 })
    local x = assert(ns:rule_add{ table = 1, priority = 100 })
    local xs
    for r in ns:rules() do if r.priority == 100 and not r.fwmark and not r.iif and not r.oif then xs = r end end
    local before = snapshot(name)
    for _, obj in ipairs({ x, xs }) do
      local msg = H.fails("ENOTUNIQ", obj:delete())
      assert.truthy(msg:find("delete rule 100", 1, true), msg)
      assert.truthy(msg:find("100: from all fwmark 0x5/0xffffffff lookup 1", 1, true), msg)
      assert.are.same(before, snapshot(name))
    end
    -- the rules the kernel would take first can go, then this one
    assert.is_true(y1:delete())
    H.fails("ENOTUNIQ", x:delete())
    assert.is_true(y2:delete())
    H.fails("ENOTUNIQ", x:delete())
    assert.is_true(y3:delete())
    assert.is_true(x:delete())
    assert.are.equal(3, #iprules(name))
    -- a rule naming more than one before it is not taken for it
    local a = assert(ns:rule_add{ table = 2, priority = 200 })
    local b = assert(ns:rule_add{ fwmark = 9, table = 2, priority = 200 })
    assert.is_true(b:delete())
    assert.truthy(at(iprules(name), 200))
    assert.is_true(a:delete())
    assert.is_nil(at(iprules(name), 200))
  end)

  it("prints and deletes priorities and goto targets of 2^31 and more", function()
    local ns, name = H.ns("u32")
    local r = assert(ns:rule_add{ table = 5, priority = 3000000000 })
    assert.are.equal(3000000000, r.priority)
    assert.are.equal("vnet.rule: 3000000000: from all lookup 5", tostring(r))
    local g = assert(ns:rule_add{ ["goto"] = 3000000000, priority = 10 })
    assert.are.equal(3000000000, g["goto"])
    assert.are.equal("vnet.rule: 10: from all goto 3000000000", tostring(g))
    local m = assert(ns:rule_add{ table = 6, priority = 2147483648, fwmark = 0x80000000,
                                  fwmask = 0xffffffff })
    assert.are.equal("vnet.rule: 2147483648: from all fwmark 0x80000000/0xffffffff lookup 6",
                     tostring(m))
    local top = assert(ns:rule_add{ table = 7, priority = 4294967295 })
    assert.are.equal(4294967295, top.priority)
    assert.truthy(at(iprules(name), 3000000000))
    assert.truthy(at(iprules(name), 4294967295))
    assert.are.equal(3000000000, at(iprules(name), 10)["goto"])
    agree(ns, name, "inet")
    for x in ns:rules() do
      if x.priority == 3000000000 then
        assert.are.equal("vnet.rule: 3000000000: from all lookup 5", tostring(x))
      end
    end
    assert.is_true(r:delete())
    assert.is_nil(at(iprules(name), 3000000000))
    local _, msg = r:delete()
    assert.truthy(msg:find("delete rule 3000000000", 1, true), msg)
    assert.is_true(top:delete())
    for _, bad in ipairs({ 2^32, 2^32 + 1, 2^63, -1, 0/0, 1/0, 2^31 + 0.5 }) do
      H.raises(function() return ns:rule_add{ table = 5, priority = bad } end,
               "rule_add", "'priority'")
      H.raises(function() return ns:rule_add{ ["goto"] = bad } end, "rule_add", "'goto'")
    end
    H.raises(function() return ns:rule_add{ table = 5, protocol = 2^32 + 1 } end,
             "rule_add", "'protocol'")
  end)
end)

describe("rules hold the kernel's message", function()
  teardown(H.cleanup)

  it("deletes exactly a rule whose selectors only the kernel's message carries", function()
    -- rules made by ip with selectors told apart only by attributes the
    -- rule object must keep as the kernel sent them
    local ns, name = H.ns("msgdel")
    H.ipdo_batch(name, {
      "rule add pref 100 ipproto tcp lookup 1",
      "rule add pref 100 ipproto udp lookup 1",
      "rule add pref 100 ipproto udp dport 53 lookup 1",
      "rule add pref 100 uidrange 1000-2000 lookup 1",
      "rule add pref 100 lookup 1 suppress_prefixlength 0",
      "rule add pref 100 tos 0x10 lookup 1",
    })
    local function has(pred)
      for _, e in ipairs(iprules(name)) do if e.priority == 100 and pred(e) then return true end end
      return false
    end
    local all = {}
    for r in ns:rules() do if r.priority == 100 then all[#all + 1] = r end end
    assert.are.equal(6, #all)
    -- every one is told apart from the others (__eq) and is equal to itself read again
    for i = 1, #all do
      for j = 1, #all do
        if i == j then assert.are.equal(all[i], all[j]) else assert.are_not.equal(all[i], all[j]) end
      end
    end
    local again = {}
    for r in ns:rules() do if r.priority == 100 then again[#again + 1] = r end end
    for i = 1, #all do assert.are.equal(all[i], again[i]) end
    -- the udp rule comes after the tcp one: deleting it removes it, not the tcp rule
    assert.is_true(all[2]:delete())
    assert.is_true(has(function(e) return e.ipproto == "tcp" end))
    assert.is_false(has(function(e) return e.ipproto == "udp" and not e.dport end))
    assert.is_true(has(function(e) return e.ipproto == "udp" and e.dport == 53 end))
    assert.is_true(all[6]:delete())
    assert.is_false(has(function(e) return e.tos end))
    assert.is_true(all[4]:delete())
    assert.is_false(has(function(e) return e.uid_start end))
    assert.is_true(all[5]:delete())
    assert.is_false(has(function(e) return e.suppress_prefixlen end))
    assert.is_true(all[3]:delete())
    assert.is_true(all[1]:delete())
    assert.is_false(has(function() return true end))
    -- a rule that comes first and names more refuses the delete, naming it
    H.ipdo_batch(name, { "rule add pref 100 ipproto tcp lookup 1", "rule add pref 100 lookup 1" })
    local two = {}
    for r in ns:rules() do if r.priority == 100 then two[#two + 1] = r end end
    local tcp, plain = two[1], two[2]
    local before = iprules(name)
    local msg = H.fails("ENOTUNIQ", plain:delete())
    assert.truthy(msg:find("another rule comes first", 1, true), msg)
    assert.truthy(msg:find("(100: from all ipproto tcp lookup 1)", 1, true), msg)
    assert.are.same(before, iprules(name))
    assert.is_true(tcp:delete())
    assert.is_false(has(function(e) return e.ipproto end))
    assert.is_true(plain:delete())
    assert.is_nil(at(iprules(name), 100))
    assert.are.equal(3, #iprules(name))
  end)

  it("deletes rules whose flags the kernel set: unresolved goto, detached device", function()
    local ns, name = H.ns("msgflags")
    H.ipdo(name, "link", "add", "gone0", "type", "veth", "peer", "name", "gone1")
    local g = assert(ns:rule_add{ ["goto"] = 500, priority = 10 })
    local d = assert(ns:rule_add{ iif = "gone0", table = 3, priority = 11, invert = true })
    H.ipdo(name, "link", "del", "gone0")
    local seen = 0
    for r in ns:rules() do
      if r.priority == 10 then assert.are.equal(g, r); seen = seen + 1 end
      if r.priority == 11 then assert.are.equal(d, r); assert.is_true(r.invert); seen = seen + 1 end
    end
    assert.are.equal(2, seen)
    assert.are.equal("vnet.rule: 11: not from all iif gone0 lookup 3", tostring(d))
    assert.is_true(g:delete())
    assert.is_true(d:delete())
    assert.is_nil(at(iprules(name), 10))
    assert.is_nil(at(iprules(name), 11))
    -- released objects
    local r = assert(ns:rule_add{ table = 4, priority = 12 })
    local mt = getmetatable(r)
    mt.__close(r)
    assert.are.equal("vnet.rule (released)", tostring(r))
    H.raises(function() return r.table end, "released")
    H.raises(function() return r:delete() end, "released")
    mt.__close(r)
    assert.truthy(at(iprules(name), 12))
  end)
end)

describe("rule selectors and actions of ip rule", function()
  teardown(H.cleanup)

  -- the lines of `ip rule show` (not JSON) by priority, as vnet prints them
  -- (vnet leaves out ip's " [detached]" after a device that is not there)
  local function iplines(name, family)
    local ok, out = H.sh(("ip -n %s %s rule show"):format(H.quote(name), family == "inet6" and "-6" or "-4"))
    assert(ok, out)
    local t = {}
    for prio, rest in out:gmatch("(%d+):\t([^\n]-)%s*\n") do
      t[tonumber(prio)] = ("vnet.rule: %s: %s"):format(prio, (rest:gsub(" %[detached%]", "")))
    end
    return t
  end

  it("adds each selector, reads it back and prints it as ip does", function()
    local ns, name = H.ns("sel")
    -- every other name file vnet reads is read before rt_dsfield
    H.raises(function() return ns:route_add{ dst = "10.9.0.0/16", dev = "lo", scope = "nosuchscope" } end,
             "'scope'")
    H.raises(function() return ns:rule_add{ suppress_ifgroup = "nosuchgroup" } end, "'suppress_ifgroup'")
    assert(ns:rule_add{ table = "main", protocol = "static", priority = 9 })
    local made = {
      assert(ns:rule_add{ tos = 0x10, table = 5, priority = 10 }),
      assert(ns:rule_add{ dsfield = 0x08, table = 5, priority = 11 }),
      assert(ns:rule_add{ ipproto = "tcp", sport = 80, dport = { 1000, 2000 }, table = 6, priority = 12 }),
      assert(ns:rule_add{ ipproto = 17, dport = "53", sport = "1024-65534", table = 6, priority = 13 }),
      assert(ns:rule_add{ uidrange = { 1000, 2000 }, table = 7, priority = 14 }),
      assert(ns:rule_add{ uidrange = "0-4294967294", table = 7, priority = 15 }),
      assert(ns:rule_add{ l3mdev = true, priority = 16 }),
      assert(ns:rule_add{ table = 8, suppress_prefixlength = 0, suppress_ifgroup = 5, priority = 17 }),
      assert(ns:rule_add{ table = "main", suppress_ifgroup = "default", priority = 18 }),
      assert(ns:rule_add{ from = "10.0.0.0/8", to = "10.1.0.0/16", tos = 4, ipproto = "udp",
                          sport = 7, dport = "8-9", uidrange = { 5, 6 }, table = 9,
                          suppress_prefixlength = 3, protocol = 77, invert = true, priority = 19 }),
      assert(ns:rule_add{ ipproto = 200, action = "blackhole", priority = 20 }),
    }
    local e = {}
    for _, x in ipairs(iprules(name)) do e[x.priority] = x end
    local lines = iplines(name)
    for _, r in ipairs(made) do
      assert.are.equal(lines[r.priority], tostring(r))
    end
    assert.are.equal("0x10", e[10].tos); assert.are.equal(0x10, made[1].tos)
    assert.are.equal("0x08", e[11].tos); assert.are.equal(8, made[2].tos)
    assert.are.equal("tcp", e[12].ipproto); assert.are.equal("tcp", made[3].ipproto)
    assert.are.equal(80, e[12].sport); assert.are.equal(80, made[3].sport)
    assert.are.equal(1000, e[12].dport_start); assert.are.equal(2000, e[12].dport_end)
    assert.are.same({ 1000, 2000 }, made[3].dport)
    assert.are.equal("udp", e[13].ipproto); assert.are.equal("udp", made[4].ipproto)
    assert.are.equal(53, e[13].dport); assert.are.equal(53, made[4].dport)
    assert.are.same({ 1024, 65534 }, made[4].sport)
    assert.are.equal(1000, e[14].uid_start); assert.are.equal(2000, e[14].uid_end)
    assert.are.same({ 1000, 2000 }, made[5].uidrange)
    assert.are.same({ 0, 4294967294 }, made[6].uidrange)
    assert.are.equal(4294967294, e[15].uid_end)
    assert.are_not.equal(nil, e[16].l3mdev); assert.is_nil(e[16].table)
    assert.is_true(made[7].l3mdev); assert.is_nil(made[7].table); assert.are.equal("lookup", made[7].action)
    assert.are.equal("vnet.rule: 16: from all lookup [l3mdev-table]", tostring(made[7]))
    assert.are.equal(0, e[17].suppress_prefixlen); assert.are.equal(0, made[8].suppress_prefixlength)
    assert.are.equal("5", e[17].suppress_ifgroup); assert.are.equal(5, made[8].suppress_ifgroup)
    assert.are.equal("default", e[18].suppress_ifgroup); assert.are.equal("default", made[9].suppress_ifgroup)
    assert.is_nil(made[9].suppress_prefixlength)
    assert.are.equal("77", tostring(e[19].protocol)); assert.are.equal(77, made[10].protocol)
    assert.are.equal(3, made[10].suppress_prefixlength); assert.are.equal(4, made[10].tos)
    assert.are.same({ 5, 6 }, made[10].uidrange)
    assert.are.equal(200, made[11].ipproto); assert.are.equal("ipproto-200", e[20].ipproto)
    -- fields absent where nothing was given
    local plain = assert(ns:rule_add{ table = 5, priority = 30 })
    for _, k in ipairs({ "tos", "ipproto", "sport", "dport", "uidrange", "suppress_prefixlength",
                         "suppress_ifgroup" }) do
      assert.is_nil(plain[k], k)
      assert.is_nil(plain:totable()[k], k)
    end
    assert.is_false(plain.l3mdev)
    assert.are.same({ 1000, 2000 }, made[3]:totable().dport)
    assert.is_true(made[7]:totable().l3mdev)
    -- read from a dump: the same, also for rules made by ip
    H.ipdo_batch(name, { "rule add pref 40 ipproto icmp dport 5 lookup 5",
                         "rule add pref 41 oif x l3mdev uidrange 3-4 ipproto tcp" })
    H.ipdo(name, "-6", "rule", "add", "tos", "0x28", "ipproto", "ipv6-icmp", "table", "5", "pref", "41")
    lines = iplines(name)
    local n = 0
    for r in ns:rules{ family = "inet" } do
      if lines[r.priority] and r.priority ~= 0 and r.priority < 32766 then
        assert.are.equal(lines[r.priority], tostring(r)); n = n + 1
      end
      for _, m in ipairs(made) do
        if m.priority == r.priority then assert.are.equal(m, r) end
      end
    end
    assert.are.equal(#made + 4, n)
    local six = iplines(name, "inet6")
    for r in ns:rules{ family = "inet6" } do
      if r.priority == 41 then
        assert.are.equal(six[41], tostring(r))   -- tos AF11, named as in rt_dsfield
        assert.are.equal(0x28, r.tos)
        assert.are.equal("ipv6-icmp", r.ipproto)
      end
    end
    agree(ns, name, "inet")
  end)

  it("filters dumps by the new selectors and deletes by them", function()
    local ns, name = H.ns("selfilt")
    assert(ns:rule_add{ ipproto = "tcp", dport = 80, table = 6, priority = 10 })
    assert(ns:rule_add{ ipproto = "tcp", dport = { 80, 81 }, table = 6, priority = 11 })
    assert(ns:rule_add{ ipproto = "udp", sport = 53, table = 6, priority = 12 })
    assert(ns:rule_add{ uidrange = "100-200", tos = 0x10, table = 7, priority = 13 })
    assert(ns:rule_add{ l3mdev = true, priority = 14 })
    assert(ns:rule_add{ family = "inet6", ipproto = "tcp", table = 6, priority = 15 })
    local function prios(f)
      local t = {}
      for r in assert(ns:rules(f)) do t[#t + 1] = r.priority end
      table.sort(t)
      return t
    end
    assert.are.same({ 10, 11, 15 }, prios{ ipproto = "tcp" })
    assert.are.same({ 10, 11 }, prios{ ipproto = 6, family = "inet" })
    assert.are.same({ 10 }, prios{ dport = 80 })
    assert.are.same({ 11 }, prios{ dport = "80-81" })
    assert.are.same({ 12 }, prios{ sport = { 53, 53 } })
    assert.are.same({ 13 }, prios{ uidrange = { 100, 200 } })
    assert.are.same({ 13 }, prios{ tos = 0x10 })
    assert.are.same({ 13 }, prios{ dsfield = 0x10 })
    assert.are.same({ 14 }, prios{ l3mdev = true })
    assert.are.equal(#iprules(name) + #iprules(name, "inet6") - 1, #prios{ l3mdev = false })
    -- rule_del by one of them removes that rule only
    assert.is_true(ns:rule_del{ dport = { 80, 81 } })
    assert.is_nil(at(iprules(name), 11))
    assert.truthy(at(iprules(name), 10))
    H.fails("ENOENT", ns:rule_del{ ipproto = "tcp", dport = 443 })
    assert.is_true(ns:rule_del{ uidrange = "100-200" })
    assert.is_nil(at(iprules(name), 13))
    assert.is_true(ns:rule_del{ l3mdev = true })
    assert.is_nil(at(iprules(name), 14))
    assert.is_true(ns:rule_del{ ipproto = "udp", sport = 53 })
    assert.is_nil(at(iprules(name), 12))
    assert.is_true(ns:rule_del{ family = "inet6", ipproto = "tcp" })
    assert.is_nil(at(iprules(name, "inet6"), 15))
    assert(ns:rule_add{ table = 8, suppress_prefixlength = 24, priority = 16 })
    assert(ns:rule_add{ table = 8, suppress_ifgroup = 3, priority = 17 })
    assert.is_true(ns:rule_del{ suppress_ifgroup = 3 })
    assert.is_nil(at(iprules(name), 17))
    assert.is_true(ns:rule_del{ suppress_prefixlength = 24 })
    assert.is_nil(at(iprules(name), 16))
    assert.is_true(ns:rule_del{ tos = 0, ipproto = "tcp" })
    assert.are.equal(3, #iprules(name))
  end)

  it("returns the kernel's refusals of values it does not take", function()
    local ns, name = H.ns("selkern")
    local before = snapshot(name)
    H.fails("EINVAL", ns:rule_add{ sport = 0, table = 5 })
    H.fails("EINVAL", ns:rule_add{ dport = 65535, table = 5 })
    H.fails("EINVAL", ns:rule_add{ uidrange = { 0, 4294967295 }, table = 5 })
    H.fails("EINVAL", ns:rule_add{ tos = 0x28, table = 5 })   -- IPv4 takes the TOS bits only
    H.fails("EINVAL", ns:rule_add{ tos = 3, family = "inet6", table = 5 })
    assert.are.same(before, snapshot(name))
  end)

  describe("bad input", function()
    local ns, name, before
    setup(function()
      ns, name = H.ns("selbad")
      before = snapshot(name)
    end)
    local bad = {
      { "tos", { 256, -1, 2^32 + 1, 2^63, 0/0, 0.5, "nosuchfield", "0x10\0x", {}, true } },
      { "dsfield", { 256, "nosuchfield" } },
      { "ipproto", { 256, -1, 2^32 + 6, 0/0, "nosuchproto", "tcp\0", {}, false } },
      { "sport", { 65536, -1, 2^32 + 80, 0/0, 1.5, { 2000, 1000 }, { 1 }, { 1, 2, 3 }, { "1", "2" },
                   "1000-", "-5", "a-b", "1000-2000\0", "1-2-3", "00000000001", "80 ", {}, true } },
      { "dport", { 65536, "2000-1000", { 0, 65536 }, "99999999999" } },
      { "uidrange", { 2^32, -1, { 0, 2^32 }, "1-4294967296", { 5, 4 }, "x", 2^63 } },
      { "l3mdev", { 1, "yes" } },
      { "suppress_prefixlength", { 129, -1, 2^32, "0", 0/0 } },
      { "suppress_ifgroup", { -1, 2^31, 2^32 - 1, "nosuchgroup", "default\0", {}, 0.5 } },
    }
    for _, c in ipairs(bad) do
      it("raises naming '" .. c[1] .. "'", function()
        for i, v in ipairs(c[2]) do
          for _, fn in ipairs({ "rule_add", "rule_del" }) do
            local o = { table = 5, priority = 100 }
            if c[1] == "l3mdev" then o.table = nil end
            o[c[1]] = v
            H.raises(function() return ns[fn](ns, o) end, fn, "'" .. c[1] .. "'")
          end
          if c[1] ~= "suppress_prefixlength" and c[1] ~= "suppress_ifgroup" then
            H.raises(function() return ns:rules{ [c[1]] = v } end, "rules", "'" .. c[1] .. "'")
          end
          assert.are.same(before, snapshot(name), c[1] .. " " .. i)
        end
      end)
    end
    it("raises for l3mdev beside a table and tos beside dsfield", function()
      H.raises(function() return ns:rule_add{ l3mdev = true, table = 5 } end, "rule_add", "'l3mdev'", "'table'")
      H.raises(function() return ns:rule_add{ tos = 8, dsfield = 8, table = 5 } end, "'tos'", "'dsfield'")
      H.raises(function() return ns:rules{ suppress_prefixlength = 1 } end, "unknown option")
      assert.are.same(before, snapshot(name))
    end)
    it("takes a float with an integral value as the integer, as every option does", function()
      local r = assert(ns:rule_add{ ipproto = 6.0, sport = 80.0, dport = { 1000.0, 2000 }, tos = 8.0,
                                    table = 5, priority = 60 })
      assert.are.equal("vnet.rule: 60: from all tos 0x08 ipproto tcp sport 80 dport 1000-2000 lookup 5",
                       tostring(r))
      assert.is_true(r:delete())
      assert.are.same(before, snapshot(name))
    end)
    it("takes the options from __index", function()
      local r = assert(ns:rule_add(setmetatable({}, { __index = { ipproto = "tcp", sport = "10-20",
        uidrange = { 1, 2 }, tos = 8, table = 5, priority = 50 } })))
      assert.are.equal("vnet.rule: 50: from all tos 0x08 uidrange 1-2 ipproto tcp sport 10-20 lookup 5",
                       tostring(r))
      assert.is_true(ns:rule_del(setmetatable({}, { __index = { sport = { 10, 20 } } })))
      assert.are.same(before, snapshot(name))
    end)
  end)

  H.it_kinds({ "vrf" }, "reads, deletes and adds the l3mdev rule a vrf brings", function()
    local ns, name = H.ns("l3vrf")
    assert(ns:link_add{ name = "vrf1", kind = "vrf", table = 1001 })
    -- the kernel adds `1000: from all lookup [l3mdev-table]` with the first vrf
    local l3 = {}
    for r in ns:rules{ l3mdev = true, family = "inet" } do l3[#l3 + 1] = r end
    assert.are.equal(1, #l3)
    assert.are.equal(1000, l3[1].priority)
    assert.is_true(l3[1].l3mdev)
    local lines = iplines(name)
    assert.are.equal(lines[1000], tostring(l3[1]))
    assert.are_not.equal(nil, at(iprules(name), 1000).l3mdev)
    assert.is_true(l3[1]:delete())
    assert.is_nil(at(iprules(name), 1000))
    local r = assert(ns:rule_add{ l3mdev = true, priority = 1000, protocol = "kernel" })
    assert.are.equal(l3[1], r)
    assert.are_not.equal(nil, at(iprules(name), 1000).l3mdev)
    agree(ns, name, "inet")
  end)
end)
