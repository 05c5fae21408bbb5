-- link:impair / link:impairment (lua/vnet/impair.lua).
--
-- The oracle is tc: `tc -j -s qdisc show` for the qdiscs, `tc -j filter
-- show` for the redirect, `ip -j link` for the ifb. In place is proven by
-- the qdisc's packet counter: a qdisc deleted and made again starts at 0.
-- Kinds this kernel lacks (netem) run in the VM tier; the measured effects
-- (ping RTTs, loss counts, iperf3 throughput) too.
local H = require "spec.helper"
local json = require "dkjson"
local vnet = H.vnet

local tcj = H.tc

-- the qdiscs of dev as tc shows them, by parent ("root", "ingress")
local function qdiscs(name, dev)
  local r = {}
  for _, q in ipairs(tcj(name, "-s qdisc show dev " .. dev)) do
    if q.root then r.root = q
    elseif q.kind == "ingress" then r.ingress = q end
  end
  return r
end

local function lacks(kind) return H.tc_lacks{ "qdisc " .. kind } end

-- it() for a test that needs netem: pending here without it, failing in
-- the VM tier (full kernel)
local function it_netem(desc, fn) return H.it_unless(lacks("netem"), desc, fn) end

-- two namespaces joined by a veth: a (10.77.0.1) in x, b (10.77.0.2) in y
local function pair(tag)
  local x, xn = H.ns(tag .. "x")
  local y, yn = H.ns(tag .. "y")
  local a = assert(x:link_add{ name = "a", kind = "veth", up = true,
                               peer = { name = "b", netns = y, up = true } })
  assert(a:addr_add("10.77.0.1/24"))
  local b = assert(y:link("b"))
  assert(b:addr_add("10.77.0.2/24"))
  assert(x:link("lo"):set{ up = true })
  assert(y:link("lo"):set{ up = true })
  return a, xn, b, yn, x, y
end

local function ping(ns, args)
  local argv = { "ping", "-n" }
  for _, v in ipairs(args) do argv[#argv + 1] = v end
  argv[#argv + 1] = "10.77.0.2"
  local _, out = ns:exec(argv)
  return out or ""
end

local function near(x, y, tol) return math.abs(x - y) <= (tol or 1e-6) end

describe("link:impair", function()
  teardown(H.cleanup)

  it("a rate alone is a tbf at the root; again changes it in place; impairment() reads it back", function()
    local a, xn, _, _, x = pair("ir")
    assert.equal(a, a:impair{ rate = "10mbit" })
    local q = qdiscs(xn, "a").root
    assert.equal("tbf", q.kind)
    assert.equal("e2:", q.handle)
    assert.equal(1250000, q.options.rate)            -- tc -j gives bytes per second
    assert.same({ rate = 10000000 }, a:impairment())
    -- traffic through it, then a change: the counter goes on (same qdisc)
    ping(x, { "-c", "3", "-i", "0.01", "-W", "1" })
    local before = qdiscs(xn, "a").root.packets
    assert.is_true(before >= 3)
    assert(a:impair{ rate = 2000000, limit = 100 })
    q = qdiscs(xn, "a").root
    assert.equal("e2:", q.handle)
    assert.equal(250000, q.options.rate)
    assert.is_true(q.packets >= before, "the qdisc was made again (counter reset)")
    assert.same({ rate = 2000000, limit = 100 }, a:impairment())
    -- clear: the device's default qdisc again
    assert.equal(a, a:impair(false))
    q = qdiscs(xn, "a").root
    assert.not_equal("tbf", q.kind)
    assert.same({}, a:impairment())
    assert(a:impair(false))                          -- nothing to clear: fine
  end)

  it("ingress: an ifb, an ingress qdisc and a mirred redirect, made, changed and removed together", function()
    local a, xn = pair("ii")
    assert(a:impair{ rate = "5mbit", ingress = { rate = "1mbit" } })
    local qs = qdiscs(xn, "a")
    assert.equal(625000, qs.root.options.rate)
    assert.is_table(qs.ingress)
    local ifb = H.iplink(xn, "vnifb" .. a.index)
    assert.equal("ifb", ifb.linkinfo.info_kind)
    assert.equal("vnet-impair:" .. a.index, ifb.ifalias)
    local fs = tcj(xn, "filter show dev a parent ffff:")
    local redirect
    for _, f in ipairs(fs) do
      for _, ac in ipairs(f.options and f.options.actions or {}) do
        if ac.kind == "mirred" then redirect = ac end
      end
    end
    assert.is_table(redirect, "no mirred action on the ingress")
    assert.equal("vnifb" .. a.index, redirect.to_dev)
    assert.equal("redirect", redirect.mirred_action)
    local iq = qdiscs(xn, "vnifb" .. a.index).root
    assert.equal(125000, iq.options.rate)
    assert.same({ rate = 5000000, ingress = { rate = 1000000 } }, a:impairment())
    -- changed in place: the same ifb, the same qdisc
    local idx = ifb.ifindex
    assert(a:impair{ rate = "5mbit", ingress = { rate = "2mbit" } })
    assert.equal(idx, H.iplink(xn, "vnifb" .. a.index).ifindex)
    assert.equal(250000, qdiscs(xn, "vnifb" .. a.index).root.options.rate)
    -- without ingress: the ifb and the redirect go, the egress stays
    assert(a:impair{ rate = "5mbit" })
    assert.is_nil(H.iplink(xn, "vnifb" .. a.index))
    assert.is_nil(qdiscs(xn, "a").ingress)
    assert.same({ rate = 5000000 }, a:impairment())
    -- ingress only, then cleared by false
    assert(a:impair{ ingress = { rate = "3mbit" } })
    assert.same({ ingress = { rate = 3000000 } }, a:impairment())
    assert.not_equal("tbf", qdiscs(xn, "a").root.kind)
    assert(a:impair(false))
    assert.is_nil(H.iplink(xn, "vnifb" .. a.index))
    assert.is_nil(qdiscs(xn, "a").ingress)
  end)

  it("a failure half way leaves the device as it was", function()
    local a, xn, _, _, x = pair("if")
    assert(a:impair{ rate = "1mbit" })
    -- the ifb's name is taken: the ingress cannot be made, the egress change is undone
    assert(x:link_add{ name = "vnifb" .. a.index, kind = "veth", peer = "zz" })
    H.fails("EEXIST", a:impair{ rate = "2mbit", ingress = { rate = "1mbit" } })
    assert.equal(125000, qdiscs(xn, "a").root.options.rate)
    assert.is_nil(qdiscs(xn, "a").ingress)
    assert.equal("veth", H.iplink(xn, "vnifb" .. a.index).linkinfo.info_kind)
    -- someone else's ingress qdisc: left alone, nothing changed
    assert(x:link("vnifb" .. a.index):delete())
    assert(a:qdisc_add{ kind = "ingress" })
    local msg = H.fails("EEXIST", a:impair{ rate = "3mbit", ingress = { rate = "1mbit" } })
    assert.matches("impair a:", msg, 1, true)
    assert.equal(125000, qdiscs(xn, "a").root.options.rate)
    assert.is_table(qdiscs(xn, "a").ingress)
    assert(a:qdisc_del{ parent = "ingress" })
    -- someone else's root qdisc: not replaced
    assert(a:impair(false))
    assert(a:qdisc_add{ kind = "tbf", handle = "7:", rate = "1mbit", burst = 10000, limit = 10000 })
    H.fails("EEXIST", a:impair{ rate = "2mbit" })
    assert.equal("7:", qdiscs(xn, "a").root.handle)
    assert.same({}, a:impairment())
    assert(a:impair(false))                          -- not ours: left
    assert.equal("7:", qdiscs(xn, "a").root.handle)
  end)

  it("a kernel without netem: nil, msg, errname, and nothing changed", function()
    if not lacks("netem") then return end            -- only where netem is missing
    local a, xn = pair("in")
    assert(a:impair{ rate = "1mbit" })
    local msg = H.fails("ENOENT", a:impair{ delay = "10ms" })
    assert.matches("impair a: ", msg, 1, true)
    assert.equal("tbf", qdiscs(xn, "a").root.kind)
    assert.same({ rate = 1000000 }, a:impairment())
  end)

  it("misuse raises naming the option", function()
    local a = pair("im")
    local cases = {
      { { delay = "5" }, "option 'delay' '5' needs a unit" },
      { { delay = "5xs" }, "option 'delay' '5xs' is not a valid value" },
      { { delay = -1 }, "option 'delay' is out of range" },
      { { delay = 0 / 0 }, "option 'delay' is out of range" },
      { { delay = 2 ^ 63 }, "option 'delay' is out of range" },
      { { delay = "5ms\0" }, "option 'delay' may not contain a NUL byte" },
      { { delay = ("9"):rep(100000) .. "ms" }, "option 'delay' is not a valid value" },
      { { delay = true }, "option 'delay' must be a number or a string" },
      { { loss = "101%" }, "option 'loss' is out of range" },
      { { loss = {} }, "option 'loss' must be a number or a string" },
      { { rate = "10" }, "option 'rate' '10' needs a unit" },
      { { rate = "10mbits" }, "option 'rate' '10mbits' is not a valid value" },
      { { rate = 2 ^ 64 }, "option 'rate' is out of range" },
      { { limit = 1.5 }, "option 'limit' must be a whole number" },
      { { limit = 2 ^ 32 + 1 }, "option 'limit' is out of range" },
      { { limit = 0 }, "option 'limit' is out of range" },
      { { dealy = "5ms" }, "unknown option 'dealy'" },
      { { [1] = "x" }, "unknown option '1'" },
      { { ingress = 5 }, "option 'ingress' must be a table or false" },
      { { ingress = { rate = "1" } }, "option 'ingress.rate' '1' needs a unit" },
      { { ingress = { ingress = {} } }, "unknown option 'ingress' in 'ingress'" },
      { { reorder = "1%" }, "option 'reorder' needs 'delay'" },
      { { delay = "1ms", ingress = { reorder = "1%" } }, "option 'ingress.reorder' needs 'ingress.delay'" },
      { { rate = 7 }, "option 'rate' must be 0 or at least 8bit" },
      { { ingress = { rate = "4bit" } }, "option 'ingress.rate' must be 0 or at least 8bit" },
    }
    for _, c in ipairs(cases) do
      H.raises(function() a:impair(c[1]) end, "impair: ", c[2])
    end
    H.raises(function() a:impair() end, "impair: options must be a table or false")
    H.raises(function() a:impair("5ms") end, "impair: options must be a table or false")
    H.raises(function() a.impair(42, {}) end, "impair: bad self")
    H.raises(function() a.impairment({}) end, "impairment: bad self")
    -- the largest values go through (tbf's burst and queue capped at 2^32-1 bytes)
    assert(a:impair{ rate = 9.2e18, limit = 2 ^ 32 - 1 })
    assert.equal(9.2e18, a:impairment().rate)
    assert(a:impair(false))
    -- options from __index
    local proxy = setmetatable({}, { __index = { rate = "4mbit" } })
    assert(a:impair(proxy))
    assert.same({ rate = 4000000 }, a:impairment())
    assert(a:impair(false))
  end)

  it("values: tc's units and plain numbers in base units", function()
    local v = vnet.impair.value
    assert.equal(0.05, v("time", "50ms"))
    assert.equal(1.5, v("time", "1.5s"))
    assert.is_true(near(100e-6, v("time", "100us"), 1e-12))
    assert.equal(0.25, v("time", 0.25))
    assert.equal(20, v("percent", "20%"))
    assert.equal(20, v("percent", "20"))
    assert.equal(10000000, v("rate", "10mbit"))
    assert.equal(10000000, v("rate", "10Mbit"))
    assert.equal(8000, v("rate", "1kbps"))
    assert.equal(1024, v("rate", "1kibit"))
    assert.equal(100, v("limit", "100"))
    local same = vnet.impair.same
    assert.is_true(same({ delay = 0.05, limit = 1000 }, { delay = 0.05 }))
    assert.is_true(same({ loss = 20 }, { loss = 20.0000002 }))
    assert.is_false(same({ loss = 20 }, { loss = 21 }))
    assert.is_false(same({ rate = 1e6 }, { rate = 1e6, ingress = { rate = 1e6 } }))
    assert.equal("delay 50ms loss 1% rate 10mbit ingress { rate 1mbit }",
                 vnet.impair.describe{ delay = 0.05, loss = 1, rate = 1e7, ingress = { rate = 1e6 } })
  end)

  it_netem("netem carries delay, jitter, loss, duplicate, corrupt, reorder, rate and limit; tc agrees", function()
    local a, xn, _, _, x = pair("ne")
    assert(a:impair{ delay = "50ms", jitter = "5ms", loss = "1%", duplicate = "0.5%",
                     corrupt = "0.1%", reorder = "25%", rate = "10mbit", limit = 500 })
    local q = qdiscs(xn, "a").root
    assert.equal("netem", q.kind)
    assert.equal("e1:", q.handle)
    -- the same made by tc on another device reads the same
    local c = assert(x:link_add{ name = "c", kind = "veth", peer = "d" })
    assert(H.sh(("tc -n %s qdisc add dev c root handle e1: netem delay 50ms 5ms loss 1%% "
                 .. "duplicate 0.5%% corrupt 0.1%% reorder 25%% rate 10mbit limit 500"):format(xn)))
    assert.same(qdiscs(xn, "c").root.options, q.options)
    assert.equal(500, q.options.limit)
    assert(c)
    local t = a:impairment()
    assert.is_true(vnet.impair.same(t, { delay = 0.05, jitter = 0.005, loss = 1, duplicate = 0.5,
                                         corrupt = 0.1, reorder = 25, rate = 1e7, limit = 500 }),
                   vnet.impair.describe(t))
    -- in place: the counter goes on
    ping(x, { "-c", "2", "-i", "0.01", "-W", "1" })
    local before = qdiscs(xn, "a").root.packets
    assert(a:impair{ delay = "20ms", loss = "2%", corrupt = "0.1%", reorder = "25%" })
    q = qdiscs(xn, "a").root
    assert.equal("e1:", q.handle)
    assert.is_true(q.packets >= before and before > 0, "the qdisc was made again")
    assert.is_true(vnet.impair.same(a:impairment(), { delay = 0.02, loss = 2, corrupt = 0.1, reorder = 25 }),
                   vnet.impair.describe(a:impairment()))
    -- every option left out goes, in place (the counter goes on)
    assert(a:impair{ delay = "20ms", loss = "2%", corrupt = "0.1%", reorder = "25%", rate = "1mbit" })
    assert(a:impair{ delay = "20ms", loss = "2%", corrupt = "0.1%", reorder = "25%" })
    assert.equal("e1:", qdiscs(xn, "a").root.handle)
    assert.is_nil(a:impairment().rate)
    before = qdiscs(xn, "a").root.packets
    assert(a:impair{ delay = "10ms" })
    q = qdiscs(xn, "a").root
    assert.equal("e1:", q.handle)
    assert.is_true(q.packets >= before, "the qdisc was made again")
    assert.is_nil(q.options.loss_random)
    assert.same({ delay = 0.01 }, a:impairment())
    local c2 = assert(x:link_add{ name = "c2", kind = "veth", peer = "d2" })
    assert(H.sh(("tc -n %s qdisc add dev c2 root handle e1: netem delay 10ms"):format(xn)))
    assert.same(qdiscs(xn, "c2").root.options, q.options)
    assert(c2)
    -- the shape changes (netem -> tbf -> netem): replaced, never absent
    assert(a:impair{ rate = "1mbit" })
    assert.equal("tbf", qdiscs(xn, "a").root.kind)
    assert(a:impair{ rate = "1mbit", loss = "2%", ingress = { delay = "3ms" } })
    assert.equal("netem", qdiscs(xn, "a").root.kind)
    assert.is_true(vnet.impair.same(a:impairment(), { rate = 1e6, loss = 2, ingress = { delay = 0.003 } }))
    assert(a:impair(false))
    assert.same({}, a:impairment())
  end)

  it_netem("measured: 50 ms of delay shows in ping's RTTs", function()
    local a, _, _, _, x = pair("md")
    assert(a:impair{ delay = "50ms" })
    local out = ping(x, { "-c", "3", "-i", "0.2", "-W", "2" })
    local mn, avg = out:match("= ([%d.]+)/([%d.]+)/")
    assert(mn, out)
    assert.is_true(tonumber(mn) >= 49.5 and tonumber(avg) < 150, out)
  end)

  it_netem("measured: 20% loss over 1000 pings falls within binomial bounds", function()
    local a, xn, _, _, x = pair("ml")
    assert(a:impair{ loss = "20%" })
    local out = ping(x, { "-q", "-c", "1000", "-i", "0.002", "-W", "1" })
    local sent, got = out:match("(%d+) packets transmitted, (%d+) received")
    assert(sent, out)
    local lost = tonumber(sent) - tonumber(got)
    assert.equal(1000, tonumber(sent))
    -- netem's own count of what it dropped (the requests, and the odd ARP
    -- or ND packet: a is x's end), and ping's loss, which under a loaded
    -- emulator may also count a few late replies
    local dropped = qdiscs(xn, "a").root.drops
    -- n = 1000, p = 0.2: mean 200, sd 12.6; 5 sd either side
    assert.is_true(dropped >= 137 and dropped <= 263 + 20, "netem dropped " .. dropped .. " of 1000")
    assert.is_true(lost >= 137 and lost <= 263 + 50, "ping lost " .. lost .. " of 1000")
  end)

  it("measured: a 10 mbit rate (tbf) gives iperf3 within 15%", function()
    local a, _, _, _, x, y = pair("mr")
    assert(a:impair{ rate = "10mbit" })
    assert(y:exec{ "iperf3", "-s", "-D", "-1", "-p", "5299" })
    os.execute("sleep 0.3")
    local ok, out = x:exec{ "iperf3", "-c", "10.77.0.2", "-p", "5299", "-t", "3", "-O", "1", "-J",
                            timeout = 20 }
    assert(ok, out)
    local r = json.decode(out)
    local bps = r["end"].sum_received.bits_per_second
    assert.is_true(bps > 8.5e6 and bps < 11.5e6, "iperf3: " .. bps .. " bit/s")
  end)

  it_netem("measured: delay 100ms -> 10ms while a ping runs loses nothing, the next RTTs drop", function()
    local a, _, _, _, x = pair("mc")
    assert(a:impair{ delay = "100ms" })
    local f = os.tmpname()
    assert(x:exec{ "sh", "-c", "ping -n -i 0.05 -c 40 -W 2 10.77.0.2 >" .. f .. " 2>&1 &" })
    os.execute("sleep 1")
    assert(a:impair{ delay = "10ms" })
    local out = ""
    for _ = 1, 100 do
      local h = io.open(f)
      out = h and h:read("*a") or ""
      if h then h:close() end
      if out:find("packets transmitted", 1, true) then break end
      os.execute("sleep 0.1")
    end
    os.remove(f)
    assert.matches("40 packets transmitted, 40 received", out, 1, true)
    local rtts = {}
    for v in out:gmatch("time=([%d.]+) ms") do rtts[#rtts + 1] = tonumber(v) end
    assert.equal(40, #rtts)
    assert.is_true(rtts[1] >= 99, out)
    assert.is_true(rtts[#rtts] < 60, out)
  end)
end)
