-- Traffic control: qdiscs, classes and filters (csrc/tc*.c).
--
-- The oracle is tc itself: what vnet makes on one veth must read, through
-- `tc -j qdisc/filter show` (`tc class show` for classes, which tc prints
-- as text only), exactly as what the equivalent `tc` command makes on
-- another; and vnet's fields must agree with tc's numbers. Kinds this
-- kernel lacks (netem, fq_codel, gact, matchall...) are pending here and
-- run in the VM tier.
local H = require "spec.helper"
local json = require "dkjson"
local vnet = H.vnet

local function tc_run(name, args)
  return H.sh("tc -n " .. H.quote(name) .. " " .. args)
end

local function tcj(name, args)
  local ok, out = tc_run(name, "-j " .. args)
  assert(ok, "tc " .. args .. ": " .. out)
  if out:match("^%s*$") then return {} end
  local v, _, err = json.decode(out, 1, json.null)
  assert(not err, "tc -j " .. args .. ": " .. tostring(err) .. "\n" .. out)
  return v
end

-- ---- what the kernel has, asked of tc (not of vnet) --------------------------
local tc_lacks = H.tc_lacks

-- it() for a test that needs tc kinds (e.g. { "qdisc netem", "action gact" }):
-- pending without them here, failing in the VM tier (full kernel).
local function it_tc(needs, desc, fn) return H.it_unless(tc_lacks(needs), desc, fn) end

-- ---- comparing what vnet and tc made ------------------------------------------
local VOLATILE = { dev = true, refcnt = true, index = true, ref = true, bind = true,
                   installed = true, last_used = true, first_used = true, expires = true,
                   stats = true, stats64 = true, not_in_hw = true, in_hw = true,
                   in_hw_count = true }

local function strip(v)
  if type(v) ~= "table" then return v end
  local t = {}
  for k, x in pairs(v) do
    if not VOLATILE[k] then t[k] = strip(x) end
  end
  return t
end

-- the filters tc shows on dev under parent (its u32 hash tables left out)
local function filters(name, dev, parent)
  local out = {}
  for _, f in ipairs(tcj(name, "filter show dev " .. dev .. " " .. parent)) do
    if f.options and not f.options.ht_divisor then out[#out + 1] = strip(f) end
  end
  return out
end

local function by_handle(list, handle)
  for _, q in ipairs(list) do
    if q.handle == handle then return q end
  end
end

-- A scratch namespace with veths v0/v1 (vnet's side) and t0/t1 (tc's side).
local function make(tag)
  local ns, name = H.ns(tag)
  local v0 = assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1", up = true })
  assert(ns:link_add{ name = "t0", kind = "veth", peer = "t1", up = true })
  return ns, name, v0
end

-- Adds the qdisc with vnet on v0 and with `tc qdisc add dev t0 <tcargs>` on
-- t0; asserts tc shows them alike and returns vnet's object and tc's JSON.
local function same_qdisc(name, v0, opts, tcargs, handle)
  local q = assert(v0:qdisc_add(opts))
  local ok, out = tc_run(name, "qdisc add dev t0 " .. tcargs)
  assert(ok, "tc qdisc add dev t0 " .. tcargs .. ": " .. out)
  local mine = by_handle(tcj(name, "qdisc show dev v0"), handle)
  local theirs = by_handle(tcj(name, "qdisc show dev t0"), handle)
  assert.is_table(mine)
  assert.same(strip(theirs), strip(mine))
  return q, mine
end

describe("qdiscs", function()
  teardown(H.cleanup)

  it("tbf: made as tc makes it, fields as tc reads them", function()
    local _, name, v0 = make("tbf")
    local q, j = same_qdisc(name, v0, { kind = "tbf", handle = "1:", rate = "10mbit",
                                        burst = "32kb", latency = "50ms" },
                            "root handle 1: tbf rate 10mbit burst 32kb latency 50ms", "1:")
    assert.equal("tbf", q.kind)
    assert.equal("1:", q.handle)
    assert.equal("root", q.parent)
    assert.equal(v0.index, q.dev)
    assert.equal(j.options.rate * 8, q.rate)
    assert.equal(j.options.burst, q.burst)
    assert.equal(j.options.lat / 1e6, q.latency)
    assert.equal(q.rate, q.options.rate)
    assert.matches("^qdisc tbf 1: dev v0 root ", tostring(q))
    assert.truthy(tostring(q):find("rate 10000000", 1, true))
  end)

  it("tbf: peakrate, mtu, limit, fractional and 64-bit rates, plain numbers", function()
    local _, name, v0 = make("tbf2")
    local q, j = same_qdisc(name, v0, { kind = "tbf", handle = "1:", rate = "1.5mbit",
                                        burst = "10kb", limit = 20000, peakrate = "2mbit",
                                        mtu = 1600 },
                            "root handle 1: tbf rate 1.5mbit burst 10kb limit 20000 "
                            .. "peakrate 2mbit mtu 1600", "1:")
    assert.equal(1500000, q.rate)
    assert.equal(2000000, q.peakrate)
    assert.equal(j.options.minburst, q.mtu)
    assert.equal(20000, q.limit)
    assert.truthy(v0:qdisc_del{})
    assert(tc_run(name, "qdisc del dev t0 root"))
    q = same_qdisc(name, v0, { kind = "tbf", handle = "2:", rate = 80000000000,
                               burst = 1048576, latency = 0.001 },
                   "root handle 2: tbf rate 80gbit burst 1mb latency 1ms", "2:")
    assert.equal(80000000000, q.rate)
  end)

  it("change adjusts in place, replace swaps, del removes", function()
    local ns, name, v0 = make("chg")
    local q = assert(v0:qdisc_add{ kind = "tbf", handle = "1:", rate = "10mbit",
                                   burst = "32kb", latency = "50ms" })
    local q2 = assert(v0:qdisc_change{ kind = "tbf", handle = "1:", rate = "20mbit",
                                       burst = "32kb", latency = "50ms" })
    assert.equal(20000000, q2.rate)
    assert.equal(q, q2)                       -- same device, handle and parent
    assert.equal(2500000, tcj(name, "qdisc show dev v0")[1].options.rate)
    -- change of what is not there: the kernel's refusal
    H.fails("ENOENT", v0:qdisc_change{ kind = "tbf", handle = "2:", parent = "1:1",
                                      rate = "1mbit", burst = "10kb", latency = "1ms" })
    -- add over it: EEXIST; replace: the new kind
    H.fails("EEXIST", v0:qdisc_add{ kind = "tbf", handle = "1:", rate = "1mbit",
                                    burst = "10kb", latency = "1ms" })
    -- the same handle keeps its kind (the kernel's rule): a new kind comes
    -- without one
    H.fails("EINVAL", v0:qdisc_replace{ kind = "htb", handle = "1:" })
    local r = assert(v0:qdisc_replace{ kind = "htb", default = 0x10 })
    assert.equal("htb", r.kind)
    assert.equal(16, r.default)
    local shown = tcj(name, "qdisc show dev v0")[1]
    assert.equal("htb", shown.kind)
    assert.equal("0x10", shown.options.default)
    -- listings: the link's, the namespace's, filtered by dev
    local kinds = {}
    for x in v0:qdiscs() do kinds[#kinds + 1] = x.kind end
    assert.same({ "htb" }, kinds)
    local n = 0
    for x in ns:qdiscs{ dev = "v0" } do
      n = n + 1
      assert.equal(v0.index, x.dev)
    end
    assert.equal(1, n)
    local all = H.collect(ns:qdiscs())
    assert.is_true(#all >= 1)
    assert.truthy(r:delete())
    assert.equal("noqueue", tcj(name, "qdisc show dev v0")[1].kind)
    H.fails("ENOENT", v0:qdisc_del{ handle = "1:" })
    H.fails("ENODEV", ns:qdiscs{ dev = "nope0" })
  end)

  it("htb with classes, a pfifo and a bfifo under them", function()
    local _, name, v0 = make("htb")
    same_qdisc(name, v0, { kind = "htb", handle = "1:", default = "10", r2q = 5,
                           direct_qlen = 100 },
               "root handle 1: htb default 10 r2q 5 direct_qlen 100", "1:")
    assert(tc_run(name, "class add dev t0 parent 1: classid 1:10 htb rate 5mbit ceil 10mbit "
                        .. "burst 15k cburst 20k prio 2 quantum 1500"))
    local c = assert(v0:class_add{ kind = "htb", parent = "1:", classid = "1:10",
                                   rate = "5mbit", ceil = "10mbit", burst = "15k",
                                   cburst = "20k", prio = 2, quantum = 1500 })
    local _, mine = tc_run(name, "class show dev v0")
    local _, theirs = tc_run(name, "class show dev t0")
    assert.equal(theirs, mine)
    assert.truthy(mine:find("rate 5Mbit ceil 10Mbit burst 15Kb cburst 20Kb", 1, true))
    assert.equal("1:10", c.classid)
    assert.equal("root", c.parent)       -- a class right under its qdisc, as tc says
    assert.equal(5000000, c.rate)
    assert.equal(10000000, c.ceil)
    assert.equal(15360, c.burst)
    assert.equal(20480, c.cburst)
    assert.equal(2, c.prio)
    assert.equal(1500, c.quantum)
    assert.matches("^class htb 1:10 dev v0 ", tostring(c))
    -- defaults as tc's: ceil = rate, bursts of a tick plus an mtu
    assert(tc_run(name, "class add dev t0 parent 1:10 classid 1:20 htb rate 1mbit"))
    local c2 = assert(v0:class_add{ kind = "htb", parent = "1:10", classid = "1:20", rate = "1mbit" })
    assert.equal(1000000, c2.ceil)
    _, mine = tc_run(name, "class show dev v0")
    _, theirs = tc_run(name, "class show dev t0")
    assert.equal(theirs, mine)
    -- change in place
    assert(v0:class_change{ kind = "htb", parent = "1:10", classid = "1:20", rate = "2mbit" })
    assert(tc_run(name, "class change dev t0 parent 1:10 classid 1:20 htb rate 2mbit"))
    _, mine = tc_run(name, "class show dev v0")
    _, theirs = tc_run(name, "class show dev t0")
    assert.equal(theirs, mine)
    local ids = {}
    for x in v0:classes() do ids[#ids + 1] = x.classid end
    table.sort(ids)
    assert.same({ "1:10", "1:20" }, ids)
    -- leaf qdiscs
    same_qdisc(name, v0, { kind = "pfifo", parent = "1:20", handle = "20:", limit = 50 },
               "parent 1:20 handle 20: pfifo limit 50", "20:")
    assert(v0:class_add{ kind = "htb", parent = "1:", classid = "1:30", rate = "1mbit" })
    assert(tc_run(name, "class add dev t0 parent 1: classid 1:30 htb rate 1mbit"))
    local b = same_qdisc(name, v0, { kind = "bfifo", parent = "1:30", handle = "30:",
                                     limit = "5kb" },
                         "parent 1:30 handle 30: bfifo limit 5kb", "30:")
    assert.equal(5120, b.limit)
    assert.equal("1:30", b.parent)
    -- an inner class takes no qdisc: the kernel's refusal
    H.fails("EINVAL", v0:qdisc_add{ kind = "bfifo", parent = "1:10", handle = "10:" })
    -- filters without a parent (or "root") are the root qdisc's, even
    -- with an ingress qdisc there (whose handle ffff: has root's major)
    assert(v0:qdisc_add{ kind = "ingress" })
    local rf = assert(v0:filter_add{ kind = "u32", prio = 1, classid = "1:20" })
    assert.equal("1:", rf.parent)
    assert(v0:filter_add{ kind = "u32", parent = "root", prio = 2, classid = "1:20" })
    assert.same({}, H.collect(v0:filters{ parent = "ingress" }))
    local roots = 0
    for x in v0:filters{ parent = "root" } do
      if x.classid then roots = roots + 1 end
    end
    assert.equal(2, roots)
    assert.equal(2, #tcj(name, "filter show dev v0 parent 1:") / 3)
    assert(v0:filter_del{ prio = 1 })
    assert(v0:filter_del{ parent = "root", prio = 2 })
    assert.same({}, tcj(name, "filter show dev v0 parent 1:"))
    assert(v0:qdisc_del{ kind = "ingress" })
    H.fails("EBUSY", v0:class_del{ classid = "1:10" })    -- it has a child class
    assert(v0:class_del{ classid = "1:20" })
    H.fails("ENOENT", v0:class_del{ classid = "1:20" })
    assert(v0:qdisc_del{ parent = "1:30" })
    assert(v0:class_del{ classid = "1:30" })
    for x in v0:classes() do assert(x:delete()) end
    assert.same({}, H.collect(v0:classes()))
  end)

  it("ingress and clsact", function()
    local _, name, v0 = make("ing")
    local q = same_qdisc(name, v0, { kind = "ingress" }, "ingress", "ffff:")
    assert.equal("ingress", q.parent)
    assert.equal("ffff:", q.handle)
    assert.matches("^qdisc ingress ffff: dev v0 parent ingress", tostring(q))
    assert(q:delete())
    assert(tc_run(name, "qdisc del dev t0 ingress"))
    q = same_qdisc(name, v0, { kind = "clsact" }, "clsact", "ffff:")
    assert.equal("clsact", q.parent)
    assert(v0:qdisc_del{ kind = "clsact" })
    assert.same({}, H.collect(v0:qdiscs()) and {})
  end)

  it("a qdisc kind the kernel lacks is a failure with the kernel's text", function()
    local _, _, v0 = make("lack")
    local ok, msg, err = v0:qdisc_add{ kind = "netem", delay = "10ms" }
    if ok then return end     -- this kernel has netem: nothing to see
    assert.equal("ENOENT", err)
    assert.truthy(msg:find("qdisc_add netem dev v0", 1, true))
    assert.truthy(msg:find("the kernel said", 1, true))
  end)

  it_tc({ "qdisc netem" }, "netem: every option as tc writes it", function()
    local _, name, v0 = make("netem")
    local cases = {
      { { delay = "100ms", jitter = "10ms", correlation = "25%" },
        "delay 100ms 10ms 25%", { delay = 0.1, jitter = 0.01, correlation = 25 } },
      { { delay = 0.05, loss = 1.5, loss_correlation = 10 },
        "delay 50ms loss random 1.5% 10%", { delay = 0.05, loss = 1.5, loss_correlation = 10 } },
      { { loss = { model = "gemodel", p = "1%", r = "10%", ["1-h"] = "70%", ["1-k"] = "0.1%" } },
        "loss gemodel 1% 10% 70% 0.1%", {} },
      { { duplicate = "2%", duplicate_correlation = "5%", corrupt = "0.5%",
          corrupt_correlation = "1%" },
        "duplicate 2% 5% corrupt 0.5% 1%", { duplicate = 2, corrupt = 0.5 } },
      { { delay = "10ms", reorder = "25%", reorder_correlation = "50%", gap = 5 },
        "delay 10ms reorder 25% 50% gap 5", { reorder = 25, gap = 5 } },
      { { delay = "10ms", reorder = "25%" }, "delay 10ms reorder 25%", { gap = 1 } },
      { { rate = "1mbit", packet_overhead = 20, cell_size = 100, cell_overhead = 5, limit = 500 },
        "rate 1mbit 20 100 5 limit 500", { rate = 1000000, limit = 500, cell_size = 100 } },
      { { rate = "40gbit" }, "rate 40gbit", { rate = 40000000000 } },
      { { delay = "1ms", slot = { min = "800us", max = "1ms", packets = 32, bytes = 64000 } },
        "delay 1ms slot 800us 1ms packets 32 bytes 64000", {} },
      { { delay = "5ms", jitter = "1ms", distribution = "normal" },
        "delay 5ms 1ms distribution normal", { delay = 0.005, jitter = 0.001 } },
      { { loss = "5%", ecn = true }, "loss 5% ecn", { ecn = true } },
      { { delay = "100us" }, "delay 100us", { delay = 0.0001 } },
    }
    for i, c in ipairs(cases) do
      local opts = { kind = "netem", handle = "1:" }
      for k, v in pairs(c[1]) do opts[k] = v end
      local q = same_qdisc(name, v0, opts, "root handle 1: netem " .. c[2], "1:")
      for k, v in pairs(c[3]) do assert.equal(v, q[k], "case " .. i .. ": " .. k) end
      if c[1].loss and type(c[1].loss) == "table" then
        assert.same({ model = "gemodel", p = 1, r = 10, ["1-h"] = 70, ["1-k"] = 0.1 }, q.loss)
      end
      if c[1].slot then
        assert.same({ min = 0.0008, max = 0.001, packets = 32, bytes = 64000 }, q.slot)
      end
      assert.matches("^qdisc netem 1: dev v0 root", tostring(q))
      assert(v0:qdisc_del{})
      assert(tc_run(name, "qdisc del dev t0 root"))
    end
    -- a change in place keeps the qdisc and its queue
    assert(v0:qdisc_add{ kind = "netem", handle = "1:", delay = "100ms" })
    local q = assert(v0:qdisc_change{ kind = "netem", handle = "1:", delay = "10ms", loss = "1%" })
    assert.equal(0.01, q.delay)
    assert.equal(1, q.loss)
  end)

  -- the kernel keeps a netem's reorder, corrupt, ecn, slot and rate when a
  -- change or replace leaves them out: such a qdisc must read as a new one
  -- made with the options given (a change sends every option)
  it_tc({ "qdisc netem" }, "netem: a change or replace resets every option not given", function()
    local _, name, v0 = make("netemch")
    local full = { kind = "netem", handle = "1:", delay = "10ms", reorder = "25%",
                   corrupt = "1%", loss = "5%", ecn = true, rate = "1mbit",
                   packet_overhead = 20, slot = { min = "1ms", max = "2ms" } }
    assert(tc_run(name, "qdisc add dev t0 root handle 1: netem delay 5ms"))
    local fresh = strip(by_handle(tcj(name, "qdisc show dev t0"), "1:"))
    for _, call in ipairs{ "qdisc_change", "qdisc_replace" } do
      assert(v0:qdisc_replace(full))
      local q = assert(v0[call](v0, { kind = "netem", handle = "1:", delay = "5ms" }))
      assert.same(fresh, strip(by_handle(tcj(name, "qdisc show dev v0"), "1:")), call)
      assert.is_nil(q.slot, call)
      assert.is_falsy(q.ecn, call)
      assert.is_falsy(q.rate and q.rate > 0, call)
    end
  end)

  it_tc({ "qdisc netem", "qdisc tbf" }, "netem with a tbf below it", function()
    local _, name, v0 = make("nt")
    assert(v0:qdisc_add{ kind = "netem", handle = "1:", delay = "20ms" })
    local t = assert(v0:qdisc_add{ kind = "tbf", parent = "1:1", handle = "10:",
                                   rate = "10mbit", burst = "32kb", latency = "50ms" })
    assert.equal("1:1", t.parent)
    assert.equal(2, #tcj(name, "qdisc show dev v0"))
  end)

  it_tc({ "qdisc prio" }, "prio", function()
    local _, name, v0 = make("prio")
    local q = same_qdisc(name, v0, { kind = "prio", handle = "1:", bands = 4,
      priomap = { 1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 3, 3 } },
      "root handle 1: prio bands 4 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 3 3", "1:")
    assert.equal(4, q.bands)
    assert.equal(3, q.priomap[16])
  end)

  it_tc({ "qdisc sfq" }, "sfq", function()
    local _, name, v0 = make("sfq")
    local q = same_qdisc(name, v0, { kind = "sfq", handle = "1:", perturb = "10s",
                                     quantum = 1514, limit = 100, divisor = 1024 },
                         "root handle 1: sfq perturb 10 quantum 1514 limit 100 divisor 1024",
                         "1:")
    assert.equal(10, q.perturb)
    assert.equal(100, q.limit)
  end)

  it_tc({ "qdisc fq_codel" }, "fq_codel", function()
    local _, name, v0 = make("fqc")
    local q = same_qdisc(name, v0, { kind = "fq_codel", handle = "1:", limit = 1000,
                                     flows = 512, target = "5ms", interval = "100ms",
                                     quantum = 1514, ecn = true, memory_limit = "4mb" },
                         "root handle 1: fq_codel limit 1000 flows 512 target 5ms "
                         .. "interval 100ms quantum 1514 ecn memory_limit 4mb", "1:")
    -- codel keeps times in units of 1024 ns: 5ms reads back as 4.999ms
    assert.is_true(math.abs(q.target - 0.005) < 2e-6, tostring(q.target))
    assert.is_true(math.abs(q.interval - 0.1) < 2e-6, tostring(q.interval))
    assert.is_true(q.ecn)
  end)
end)

describe("filters", function()
  teardown(H.cleanup)


  it("u32 on ingress with a mirred redirect (ingress shaping through another device)", function()
    local ns, name, v0 = make("u32")
    local ifb = assert(ns:link_add{ name = "x0", kind = "veth", peer = "x1", up = true })
    assert(v0:qdisc_add{ kind = "ingress" })
    assert(tc_run(name, "qdisc add dev t0 ingress"))
    local f = assert(v0:filter_add{ kind = "u32", parent = "ingress", prio = 1,
      action = { kind = "mirred", mode = "redirect", direction = "egress", dev = ifb } })
    assert(tc_run(name, "filter add dev t0 ingress prio 1 protocol all u32 match u32 0 0 "
                        .. "action mirred egress redirect dev x0"))
    assert.same(filters(name, "t0", "ingress"), filters(name, "v0", "ingress"))
    assert.equal("u32", f.kind)
    assert.equal(1, f.prio)
    assert.equal("all", f.protocol)
    assert.equal("ingress", f.parent)
    assert.equal("800::800", f.options.handle)
    assert.same({ { value = 0, mask = 0, at = 0 } }, f.match)
    local a = f.actions[1]
    assert.equal("mirred", a.kind)
    assert.equal("redirect", a.mode)
    assert.equal("egress", a.direction)
    assert.equal(ifb.index, a.dev)
    assert.equal("stolen", a.verdict)
    assert.matches("^filter parent ffff:fff2 protocol all pref 1 u32", tostring(f))
    -- the listing has it, after the u32 hash table and chain heads
    local found
    for x in v0:filters{ parent = "ingress" } do
      if x.options.handle == "800::800" then found = x end
    end
    assert.equal(f, found)
    -- packets really take the redirect: what enters v0 leaves through x0
    local before = H.ip(name, "-s", "link", "show", "x0")[1].stats64.tx.packets
    assert(ns:exec{ "sh", "-c", "ip link set v1 up; ip link set x1 up; "
                    .. "ip addr add 10.9.0.1/24 dev v1; "
                    .. "ping -c 2 -W 1 -I v1 10.9.0.2 >/dev/null 2>&1; true" })
    local after = H.ip(name, "-s", "link", "show", "x0")[1].stats64.tx.packets
    assert.is_true(after >= before + 2, ("x0 sent %d -> %d"):format(before, after))
    assert(f:delete())
    assert.same({}, filters(name, "v0", "ingress"))
  end)

  H.it_kinds({ "ifb" }, "ingress shaping: u32 on ingress redirects to an ifb whose tbf sees the packets", function()
    local ns, name, v0 = make("ifb")
    local ifb = assert(ns:link_add{ name = "ifb0", kind = "ifb", up = true })
    assert(ifb:qdisc_add{ kind = "tbf", handle = "1:", rate = "1mbit", burst = "10kb",
                          latency = "100ms" })
    assert(v0:qdisc_add{ kind = "ingress" })
    assert(v0:filter_add{ kind = "u32", parent = "ingress", prio = 1, protocol = "all",
                          action = { kind = "mirred", dev = ifb } })
    assert(ns:exec{ "sh", "-c", "ip link set v1 up; ip addr add 10.9.1.1/24 dev v1; "
                    .. "ping -c 3 -i 0.2 -W 1 -I v1 10.9.1.2 >/dev/null 2>&1; true" })
    local q = tcj(name, "-s qdisc show dev ifb0")[1]
    assert.equal("tbf", q.kind)
    assert.is_true(q.packets >= 3, "tbf on ifb0 saw " .. tostring(q.packets))
  end)

  it("u32 matches and classids, on clsact's egress, with a mirror", function()
    local ns, name, v0 = make("u32b")
    assert(ns:link_add{ name = "x0", kind = "veth", peer = "x1" })
    assert(v0:qdisc_add{ kind = "clsact" })
    assert(tc_run(name, "qdisc add dev t0 clsact"))
    local f = assert(v0:filter_add{ kind = "u32", parent = "egress", prio = 3, protocol = "ip",
      match = { dst = "10.0.0.0/8", protocol = "tcp", dport = 80, src = "192.168.1.1" },
      classid = "1:1",
      action = { { kind = "mirred", mode = "mirror", dev = "x0" } } })
    assert(tc_run(name, "filter add dev t0 egress prio 3 protocol ip u32 "
                        .. "match ip src 192.168.1.1/32 match ip dst 10.0.0.0/8 "
                        .. "match ip protocol 6 0xff match ip dport 80 0xffff classid 1:1 "
                        .. "action mirred egress mirror dev x0"))
    assert.same(filters(name, "t0", "egress"), filters(name, "v0", "egress"))
    assert.equal("ip", f.protocol)
    assert.equal("egress", f.parent)
    assert.equal("1:1", f.classid)
    assert.equal("mirror", f.actions[1].mode)
    assert.equal("pipe", f.actions[1].verdict)
    -- raw keys
    local g = assert(v0:filter_add{ kind = "u32", parent = "egress", prio = 4,
      match = { { value = 0x0a000001, mask = 0xffffffff, at = 16 } }, classid = "1:2" })
    assert.same({ { value = 0x0a000001, mask = 0xffffffff, at = 16 } }, g.match)
    -- a change in place answers with the filter as it now is (the kernel's
    -- echo of a u32 change shows it as it was)
    local c = assert(v0:filter_change{ kind = "u32", parent = "egress", prio = 4,
                                       handle = g.options.handle, classid = "1:3" })
    assert.equal("1:3", c.classid)
    assert.equal(g, c)
    local shown
    for _, x in ipairs(tcj(name, "filter show dev v0 egress")) do
      if x.pref == 4 and x.options and x.options.fh == g.options.handle then shown = x end
    end
    assert.equal("1:3", shown.options.flowid)
    H.raises(function() return v0:filter_change{ kind = "u32", parent = "egress", prio = 4,
                                                 handle = "800:::1" } end, "option 'handle'")
    H.raises(function() return v0:filter_change{ kind = "u32", parent = "egress", prio = 4,
                                                 handle = "1000::1" } end, "option 'handle'")
    assert(v0:filter_del{ parent = "egress", prio = 4 })
    assert(v0:filter_del{ parent = "egress", prio = 3, protocol = "ip" })
    assert.same({}, filters(name, "v0", "egress"))
    H.fails("ENOENT", v0:filter_del{ parent = "egress", prio = 3 })
  end)

  it_tc({ "filter matchall", "action mirred" }, "matchall with a mirred redirect", function()
    local ns, name, v0 = make("ma")
    local ifb = assert(ns:link_add{ name = "x0", kind = "veth", peer = "x1", up = true })
    assert(v0:qdisc_add{ kind = "ingress" })
    assert(tc_run(name, "qdisc add dev t0 ingress"))
    local f = assert(v0:filter_add{ kind = "matchall", parent = "ingress", prio = 1,
      action = { kind = "mirred", dev = ifb } })
    assert(tc_run(name, "filter add dev t0 ingress prio 1 protocol all matchall "
                        .. "action mirred egress redirect dev x0"))
    assert.same(filters(name, "t0", "ingress"), filters(name, "v0", "ingress"))
    assert.equal("matchall", f.kind)
    assert.equal("mirred", f.actions[1].kind)
  end)

  it_tc({ "filter u32", "action gact", "action skbedit" }, "gact and skbedit actions", function()
    local _, name, v0 = make("act")
    assert(v0:qdisc_add{ kind = "ingress" })
    assert(tc_run(name, "qdisc add dev t0 ingress"))
    local f = assert(v0:filter_add{ kind = "u32", parent = "ingress", prio = 1,
      action = { { kind = "skbedit", mark = 7, priority = "1:2" }, "drop" } })
    assert(tc_run(name, "filter add dev t0 ingress prio 1 protocol all u32 match u32 0 0 "
                        .. "action skbedit mark 7 priority 1:2 action gact drop"))
    assert.same(filters(name, "t0", "ingress"), filters(name, "v0", "ingress"))
    assert.equal("skbedit", f.actions[1].kind)
    assert.equal(7, f.actions[1].mark)
    assert.equal("1:2", f.actions[1].priority)
    assert.equal("gact", f.actions[2].kind)
    assert.equal("drop", f.actions[2].verdict)
    local g = assert(v0:filter_add{ kind = "u32", parent = "ingress", prio = 2,
                                    action = { kind = "gact", verdict = "pass" } })
    assert.equal("pass", g.actions[1].verdict)
  end)

  it_tc({ "filter fw", "filter basic", "filter flower", "qdisc htb" }, "fw, basic and flower",
        function()
    local _, name, v0 = make("fbf")
    for _, dev in ipairs{ "v0", "t0" } do
      assert(tc_run(name, "qdisc add dev " .. dev .. " root handle 1: htb"))
    end
    assert(v0:filter_add{ kind = "fw", parent = "1:", prio = 1, handle = 5, classid = "1:5" })
    assert(v0:filter_add{ kind = "basic", parent = "1:", prio = 2, classid = "1:6" })
    local fl = assert(v0:filter_add{ kind = "flower", parent = "1:", prio = 3, protocol = "ip",
      src_ip = "10.0.0.0/8", dst_ip = "192.168.0.1", ip_proto = "tcp", dst_port = 443,
      classid = "1:7" })
    assert(tc_run(name, "filter add dev t0 parent 1: prio 1 protocol all handle 5 fw classid 1:5"))
    assert(tc_run(name, "filter add dev t0 parent 1: prio 2 protocol all basic classid 1:6"))
    assert(tc_run(name, "filter add dev t0 parent 1: prio 3 protocol ip flower "
                        .. "src_ip 10.0.0.0/8 dst_ip 192.168.0.1 ip_proto tcp dst_port 443 "
                        .. "classid 1:7"))
    -- (tc 6.1 prints fw's options as text inside its JSON: compared as text)
    local _, mine = tc_run(name, "filter show dev v0 parent 1:")
    local _, theirs = tc_run(name, "filter show dev t0 parent 1:")
    assert.equal(theirs, mine)
    assert.equal("10.0.0.0/8", fl.options.src_ip)
    -- no parent, or "root": the root qdisc's filters (not ingress's)
    assert(v0:qdisc_add{ kind = "ingress" })
    local r = assert(v0:filter_add{ kind = "basic", prio = 9, classid = "1:9" })
    assert.equal("1:", r.parent)
    assert(v0:filter_add{ kind = "basic", parent = "root", prio = 10, classid = "1:9" })
    local n = 0
    for x in v0:filters() do
      assert.equal("1:", x.parent)
      if x.classid then n = n + 1 end
    end
    assert.equal(5, n)
    assert.same({}, H.collect(v0:filters{ parent = "ingress" }))
    assert.equal(443, fl.options.dst_port)
  end)
end)

describe("tc misuse", function()
  teardown(H.cleanup)
  local ns, v0
  lazy_setup(function()
    ns = H.ns("bad")
    v0 = assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
  end)

  local function tbf(extra)
    local o = { kind = "tbf", rate = "1mbit", burst = "10kb", latency = "10ms" }
    for k, v in pairs(extra) do o[k] = v end
    return function() return v0:qdisc_add(o) end
  end

  it("bad units and values raise naming the option", function()
    H.raises(tbf{ rate = "10mbits" }, "qdisc_add", "option 'rate'", "10mbits")
    H.raises(tbf{ rate = "10" }, "option 'rate'", "needs a unit")
    H.raises(tbf{ rate = "-1mbit" }, "option 'rate'")
    H.raises(tbf{ rate = " 1mbit" }, "option 'rate'")
    H.raises(tbf{ rate = "1e3mbit" }, "option 'rate'")
    H.raises(tbf{ rate = "nanmbit" }, "option 'rate'")
    H.raises(tbf{ rate = 1.5 }, "option 'rate'")
    H.raises(tbf{ rate = 0 / 0 }, "option 'rate'")
    H.raises(tbf{ rate = 2 ^ 63 }, "option 'rate'")
    H.raises(tbf{ rate = "1mbit\0x" }, "option 'rate'", "NUL")
    H.raises(tbf{ rate = {} }, "option 'rate'", "got table")
    H.raises(tbf{ rate = ("9"):rep(100000) .. "mbit" }, "option 'rate'")
    H.raises(tbf{ burst = "10kg" }, "option 'burst'")
    H.raises(tbf{ burst = 2 ^ 32 }, "option 'burst'")
    H.raises(tbf{ burst = 2 ^ 32 + 1 }, "option 'burst'")
    H.raises(tbf{ latency = "10" }, "option 'latency'", "needs a unit")
    H.raises(tbf{ latency = "10mss" }, "option 'latency'")
    H.raises(tbf{ latency = -1 }, "option 'latency'")
    H.raises(tbf{ latency = 1 / 0 }, "option 'latency'")
    H.raises(tbf{ latency = 2 ^ 63 }, "option 'latency'")
    H.raises(tbf{ limit = 100 }, "give one of 'limit' and 'latency'")
    H.raises(tbf{ peakrate = "2mbit" }, "'peakrate' needs 'mtu'")
    H.raises(function() return v0:qdisc_add{ kind = "netem", loss = "101%" } end,
             "option 'loss'")
    H.raises(function() return v0:qdisc_add{ kind = "netem", loss = "1%%" } end, "option 'loss'")
    H.raises(function() return v0:qdisc_add{ kind = "netem", reorder = "1%" } end,
             "'reorder' needs 'delay'")
    H.raises(function() return v0:qdisc_add{ kind = "netem", gap = 5 } end, "'gap' needs")
    H.raises(function() return v0:qdisc_add{ kind = "netem", delay = "1ms", distribution = "x/y" } end,
             "option 'distribution'")
    H.raises(function() return v0:qdisc_add{ kind = "netem", loss = { model = "x" } } end,
             "option 'loss'")
    H.raises(function() return v0:qdisc_add{ kind = "netem", slot = { min = "1ms", foo = 1 } } end,
             "unknown option 'foo'")
    H.raises(function() return v0:qdisc_add{ kind = "netem", delay = 2 ^ 53 } end,
             "option 'delay'")
  end)

  it("bad keys, kinds and handles raise", function()
    H.raises(tbf{ rat = 1 }, "qdisc_add", "unknown option 'rat'")
    H.raises(function() return v0:qdisc_add{ kind = "nope" } end, "unknown qdisc kind 'nope'")
    H.raises(function() return v0:qdisc_add{ rate = 1 } end, "option 'kind' is required")
    H.raises(function() return v0:qdisc_add{ kind = "htb", handle = "1:1" } end, "'handle'")
    H.raises(function() return v0:qdisc_add{ kind = "htb", handle = "10000:" } end,
             "option 'handle'")
    -- "root" (ffff:ffff) is a parent, never a qdisc's handle (the kernel
    -- answered EINVAL "Invalid minor handle")
    for _, h in ipairs{ "root", "ffff:ffff", 0xffffffff } do
      H.raises(function() return v0:qdisc_add{ kind = "htb", handle = h } end, "qdisc_add",
               "option 'handle'")
      H.raises(function() return v0:qdisc_replace{ kind = "pfifo", handle = h } end,
               "qdisc_replace", "option 'handle'")
    end
    H.raises(function() return v0:qdisc_add{ kind = "htb", handle = "1:\0" } end,
             "option 'handle'")
    H.raises(function() return v0:qdisc_add{ kind = "htb", handle = 2 ^ 32 } end,
             "option 'handle'")
    H.raises(function() return v0:qdisc_add{ kind = "htb", parent = "x" } end,
             "option 'parent'")
    H.raises(function() return v0:qdisc_add{ kind = "ingress", parent = "root" } end,
             "parent 'ingress' only")
    H.raises(function() return v0:qdisc_add("htb") end, "table expected")
    H.raises(function() return v0.qdisc_add(ns, { kind = "htb" }) end, "vnet.link")
    H.raises(function() return v0:class_add{ kind = "tbf", classid = "1:1" } end,
             "has no classes")
    H.raises(function() return v0:class_add{ kind = "htb", rate = "1mbit" } end,
             "option 'classid' is required")
    H.raises(function() return v0:class_add{ kind = "htb", classid = "1:1", rate = "1mbit",
                                             prio = 8 } end, "option 'prio'")
    -- htb keeps its buffers as 32-bit ticks: 2 GB at 1 mbit (17180 s of
    -- sending) was cut to 34 MB without a word
    H.raises(function() return v0:class_add{ kind = "htb", classid = "1:1", rate = "1mbit",
                                             burst = 2 ^ 31 } end,
             "class_add", "option 'burst' is too large for 'rate' (at most 3435973")
    H.raises(function() return v0:class_add{ kind = "htb", classid = "1:1", rate = "1mbit",
                                             cburst = "3gb" } end,
             "class_add", "option 'cburst' is too large for 'ceil'")
    H.raises(function() return v0:filter_add{ kind = "nope" } end, "unknown filter kind")
    H.raises(function() return v0:filter_add{ kind = "u32", protocol = "ipx" } end,
             "option 'protocol'")
    H.raises(function() return v0:filter_add{ kind = "u32", prio = 70000 } end, "option 'prio'")
    H.raises(function() return v0:filter_add{ kind = "u32", match = { src = "10.0.0.300" } } end,
             "option 'src'")
    H.raises(function() return v0:filter_add{ kind = "u32", match = { { at = 3 } } } end,
             "multiple of 4")
    H.raises(function() return v0:filter_add{ kind = "u32", action = { kind = "mirred" } } end,
             "option 'dev' is required")
    H.raises(function() return v0:filter_add{ kind = "u32", action = "explode" } end, "verdict")
    H.raises(function() return v0:filter_add{ kind = "u32", action = { kind = "gact" } } end,
             "'verdict' is required")
    H.raises(function() return v0:filter_add{ kind = "u32", action = { kind = "mirred",
                                                dev = "v0", mode = "steal" } } end, "'mode'")
    H.raises(function() return v0:filter_add{ kind = "flower", protocol = "ip",
                                              dst_port = 80 } end, "needs ip_proto")
    H.raises(function() return v0:qdisc_add{ kind = "tbf\0" } end, "qdisc_add", "NUL")
    H.raises(function() return v0:qdisc_add{ kind = ("x"):rep(100000) } end, "qdisc_add",
             "option 'kind'")
    H.raises(function() return v0:qdisc_add{ kind = 5 } end, "option 'kind'")
    H.raises(function() return v0:filter_add{ kind = "u32", action = { kind = "gact",
                                              verdict = "drop", extra = 1 } } end,
             "unknown option 'extra'")
    H.raises(function() return v0:filter_add{ kind = "u32", action = { "drop", n = 1 } } end,
             "one action or a list")
    H.raises(function() return v0:filter_add{ kind = "u32", action = 5 } end, "action 1")
    local many = {}
    for i = 1, 17 do many[i] = "pass" end
    H.raises(function() return v0:filter_add{ kind = "u32", action = many } end,
             "more than 16 actions")
    H.raises(function() return v0:filter_add{ kind = "u32", chain = -1 } end, "option 'chain'")
    H.raises(function() return v0:filter_add{ kind = "u32", handle = true } end, "option 'handle'")
    H.raises(function() return v0:qdisc_add{ kind = "prio", priomap = { 1, 2 } } end,
             "option 'priomap'")
    H.raises(function() return v0:qdisc_add{ kind = "netem", distribution = { 1 } } end,
             "'distribution' needs 'delay' and 'jitter'")
    H.raises(function() return v0:qdisc_add{ kind = "netem", delay = "1ms", jitter = "1ms",
                                             distribution = { 1, 40000 } } end,
             "option 'distribution'")
    H.raises(function() return v0:qdisc_add{ kind = "netem", ecn = true } end, "'ecn' needs 'loss'")
    H.raises(function() return v0:qdisc_add{ kind = "netem", delay = "1ms", jitter = "1ms",
                                             distribution = "no_such_table" } end,
             "option 'distribution'", "no_such_table.dist")
    H.raises(function() return v0:qdisc_add{ kind = "netem", cell_size = 5 } end, "go with 'rate'")
  end)

  it("options may come from __index; a device that is gone is a failure", function()
    local proxy = setmetatable({}, { __index = { kind = "tbf", handle = "1:", rate = "1mbit",
                                                 burst = "10kb", latency = "10ms" } })
    local q = assert(v0:qdisc_add(proxy))
    assert.equal(1000000, q.rate)
    assert(q:delete())
    -- an __index that runs the collector while options are read
    local gc = setmetatable({}, { __index = function(_, k)
      collectgarbage()
      return ({ kind = "tbf", rate = "2mbit", burst = "10kb", limit = 3000 })[k]
    end })
    q = assert(v0:qdisc_add(gc))
    assert.equal(2000000, q.rate)
    assert(q:delete())
    assert(v0:qdisc_add{ kind = "ingress" })
    local msg = H.fails("ENODEV", v0:filter_add{ kind = "u32", parent = "ingress",
                                                 action = { kind = "mirred", dev = "nope0" } })
    assert.truthy(msg:find("action 1 dev 'nope0'", 1, true))
    H.fails("ENODEV", v0:filter_add{ kind = "u32", parent = "ingress",
                                     action = { kind = "mirred", dev = 2 ^ 31 - 1 } })
    H.raises(function() return v0:filter_add{ kind = "u32", parent = "ingress",
                                              action = { kind = "mirred", dev = 2 ^ 31 } } end,
             "option 'dev'")
    local other = H.ns("other")
    local o = assert(other:link_add{ name = "o0", kind = "veth", peer = "o1" })
    H.raises(function() return v0:filter_add{ kind = "u32", parent = "ingress",
                                              action = { kind = "mirred", dev = o } } end,
             "another namespace")
    -- in a batch the requests are queued and the kernel's answers come at commit
    local ok, bmsg, berr = ns:batch(function()
      assert.is_true(v0:qdisc_add{ kind = "htb", handle = "1:" })
      v0:class_add{ kind = "htb", classid = "1:1", rate = "1mbit" }
      v0:class_add{ kind = "htb", classid = "1:1", rate = "1mbit" }
    end)
    assert.is_nil(ok)
    assert.equal("EEXIST", berr, bmsg)
    assert.equal(1, #H.collect(v0:classes()))
    assert(v0:qdisc_del{})
  end)

  it("objects: fields read-only, released ones raise, tostring survives release", function()
    local q = assert(v0:qdisc_add{ kind = "htb", handle = "1:" })
    H.raises(function() q.kind = "x" end, "read-only")
    local t = q:totable()
    assert.equal("htb", t.kind)
    assert.equal("1:", t.handle)
    getmetatable(q).__close(q)
    assert.equal("vnet.qdisc (released)", tostring(q))
    H.raises(function() return q.kind end, "released")
    H.raises(function() return q:delete() end, "released")
    assert(v0:qdisc_del{})
  end)

  it("vnet.supports answers for tc kinds as tc finds them", function()
    for _, k in ipairs{ "qdisc tbf", "qdisc netem", "filter u32", "filter matchall",
                        "action mirred", "action gact" } do
      local what, kind = k:match("^(%a+) (.+)$")
      local ok, why = vnet.supports(what .. ":" .. kind)
      assert.equal(tc_lacks{ k } == nil, ok, k .. ": " .. tostring(why))
      if not ok then assert.truthy(why:find(kind, 1, true)) end
    end
    local ok, why = vnet.supports("qdisc:nope")
    assert.is_false(ok)
    assert.truthy(why:find("nope", 1, true))
    assert.is_false((vnet.supports("bogus:x")))
  end)
end)

-- A small randomized differential test (fixed seed): random tbf qdiscs, htb
-- classes and u32 filters made by vnet on v0 and by the same tc command on
-- t0 must read back alike through tc, and vnet's fields must be tc's numbers.
describe("tc, randomized against tc itself", function()
  teardown(H.cleanup)
  local seed = 20261203
  local function pick(t) return t[math.random(#t)] end

  it("tbf qdiscs (seed " .. seed .. ")", function()
    math.randomseed(seed)
    local _, name, v0 = make("rtbf")
    for _ = 1, 6 do
      local r = math.random(1, 900)
      local ru = pick{ "kbit", "mbit", "gbit" }
      local b = math.random(2, 64)
      local opts = { kind = "tbf", handle = "1:", rate = r .. ru, burst = b .. "kb" }
      local args = ("root handle 1: tbf rate %d%s burst %dkb"):format(r, ru, b)
      if math.random() < 0.5 then
        local l = math.random(1, 200)
        opts.latency = l .. "ms"
        args = args .. (" latency %dms"):format(l)
      else
        local l = math.random(b + 1, 4 * b) * 1024
        opts.limit = l
        args = args .. (" limit %d"):format(l)
      end
      if math.random() < 0.3 then
        opts.peakrate = (2 * r) .. ru
        opts.mtu = math.random(1500, 2000)
        args = args .. (" peakrate %d%s mtu %d"):format(2 * r, ru, opts.mtu)
      end
      local q, j = same_qdisc(name, v0, opts, args, "1:")
      assert.equal(j.options.rate * 8, q.rate, args)
      assert.equal(j.options.burst, q.burst, args)
      assert(q:delete())
      assert(tc_run(name, "qdisc del dev t0 root"))
    end
  end)

  it("htb classes and u32 filters (seed " .. seed .. ")", function()
    math.randomseed(seed + 1)
    local _, name, v0 = make("rhtb")
    assert(v0:qdisc_add{ kind = "htb", handle = "1:" })
    assert(tc_run(name, "qdisc add dev t0 root handle 1: htb"))
    for i = 1, 6 do
      local r = math.random(1, 500)
      local c = r + math.random(0, 500)
      local b, cb = math.random(2, 60), math.random(2, 60)
      local prio, quantum = math.random(0, 7), math.random(1500, 60000)
      local id = ("1:%x"):format(i)
      assert(v0:class_add{ kind = "htb", parent = "1:", classid = id, rate = r .. "kbit",
                           ceil = c .. "kbit", burst = b .. "k", cburst = cb .. "k",
                           prio = prio, quantum = quantum })
      local args = ("class add dev t0 parent 1: classid %s htb rate %dkbit ceil %dkbit "
                    .. "burst %dk cburst %dk prio %d quantum %d"):format(id, r, c, b, cb, prio, quantum)
      assert(tc_run(name, args))
      -- u32 keys in vnet's order: src, dst, protocol, tos, sport, dport
      local m, words = {}, {}
      if math.random() < 0.5 then
        m.src = ("10.%d.%d.0/24"):format(math.random(0, 255), math.random(0, 255))
        words[#words + 1] = "match ip src " .. m.src
      end
      m.dst = ("192.168.%d.%d/32"):format(math.random(0, 255), math.random(1, 254))
      words[#words + 1] = "match ip dst " .. m.dst
      local proto = pick{ { "tcp", 6 }, { "udp", 17 } }
      m.protocol = proto[1]
      words[#words + 1] = ("match ip protocol %d 0xff"):format(proto[2])
      if math.random() < 0.5 then
        m.tos = math.random(0, 255)
        words[#words + 1] = ("match ip tos 0x%x 0xff"):format(m.tos)
      end
      m.dport = math.random(1, 65535)
      words[#words + 1] = ("match ip dport %d 0xffff"):format(m.dport)
      local f = assert(v0:filter_add{ kind = "u32", parent = "1:", prio = i, protocol = "ip",
                                      match = m, classid = id })
      assert(tc_run(name, ("filter add dev t0 parent 1: prio %d protocol ip u32 %s classid %s")
                          :format(i, table.concat(words, " "), id)))
      assert.equal(id, f.classid)
      assert.equal(i, f.prio)
    end
    local _, mine = tc_run(name, "class show dev v0")
    local _, theirs = tc_run(name, "class show dev t0")
    assert.equal(theirs, mine)
    local fv = filters(name, "v0", "parent 1:")
    assert.equal(6, #fv)
    assert.same(filters(name, "t0", "parent 1:"), fv)
    -- vnet's fields against tc's
    local n = 0
    for c in v0:classes() do
      local line = mine:match("class htb " .. c.classid .. " [^\n]*")
      assert.truthy(line, c.classid)
      assert.truthy(line:find(" prio " .. c.prio .. " ", 1, true), line)
      n = n + 1
    end
    assert.equal(6, n)
  end)
end)
