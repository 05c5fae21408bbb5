-- addr:wait{ dad = "done" }: waits on a monitor (not a sleep loop) until
-- IPv6 duplicate address detection is over, reports a duplicate, a removed
-- address and a timeout, and closes its monitor whatever the outcome.
local H = require "spec.helper"

local fds = H.fd_count

-- the flags ip shows on address addr of dev in namespace name
local function ip_flags(name, dev, addr)
  for _, l in ipairs(H.ip(name, "addr", "show", "dev", dev)) do
    for _, a in ipairs(l.addr_info or {}) do
      if a["local"] == addr then
        return { tentative = a.tentative == true, dadfailed = a.dadfailed == true }
      end
    end
  end
end

-- a namespace with a veth pair v0/v1 (both up) whose DAD takes about
-- transmits x retrans milliseconds
local function pair(tag, transmits, retrans)
  local ns, name = H.ns(tag)
  for _, d in ipairs{ "default", "all" } do
    assert(ns:sysctl("net.ipv6.conf." .. d .. ".dad_transmits", transmits or 1))
  end
  assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
  for _, d in ipairs{ "v0", "v1" } do
    assert(ns:sysctl("net.ipv6.conf." .. d .. ".dad_transmits", transmits or 1))
    assert(ns:sysctl("net.ipv6.neigh." .. d .. ".retrans_time_ms", retrans or 1000))
    assert(ns:link(d):set{ up = true })
  end
  return ns, name
end

-- #host_only (IPv6 DAD): nothing here needs what the host kernel lacks; the VM tier
-- (software emulation, where a process start costs ~100x) leaves them out.
describe("addr:wait #host_only", function()
  after_each(H.cleanup)

  it("returns the address, read again, once DAD is done", function()
    local ns, name = pair("aw", 3, 300)
    local n0 = fds()
    local a = assert(ns:link("v0"):addr_add("2001:db8::1/64"))
    -- tentative as made, by ip's account too
    assert.is_true(a.flags.tentative == true)
    assert.is_true(ip_flags(name, "v0", "2001:db8::1").tentative)
    local b = assert(a:wait{ dad = "done", timeout = 30 })
    assert.are.equal("vnet.addr", getmetatable(b).__name)
    assert.are.equal("2001:db8::1", b.address)
    assert.is_nil(b.flags.tentative)
    assert.are.same({ tentative = false, dadfailed = false }, ip_flags(name, "v0", "2001:db8::1"))
    -- done already: at once, and again
    assert(b:wait{ dad = "done", timeout = 0 })
    assert(a:wait{ dad = "done" })
    assert.are.equal(n0, fds())
  end)

  it("an IPv4 address has no DAD: at once", function()
    local ns = pair("aw4")
    local a = assert(ns:link("v0"):addr_add("10.9.0.1/24"))
    assert(a:wait{ dad = "done", timeout = 0 })
  end)

  it("reports a duplicate with EADDRINUSE", function()
    local ns, name = pair("awdup", 1, 200)
    local a = assert(ns:link("v0"):addr_add("2001:db8::5/64"))
    assert(a:wait{ dad = "done", timeout = 30 })
    -- the same address on the peer: v0 answers its neighbour solicitation
    local b = assert(ns:link("v1"):addr_add("2001:db8::5/64"))
    local msg = H.fails("EADDRINUSE", b:wait{ dad = "done", timeout = 30 })
    assert.truthy(msg:find("2001:db8::5/64", 1, true), msg)
    assert.truthy(msg:find("dadfailed", 1, true), msg)
    assert.is_true(ip_flags(name, "v1", "2001:db8::5").dadfailed)
  end)

  it("times out while DAD goes on, and fails when the address is removed", function()
    local ns, name = pair("awto", 100, 1000)
    local n0 = fds()
    local a = assert(ns:link("v0"):addr_add("2001:db8::7/64"))
    assert.are.same({ nil, "timeout", "ETIMEDOUT" }, { a:wait{ dad = "done", timeout = 0.3 } })
    assert.is_true(ip_flags(name, "v0", "2001:db8::7").tentative)
    os.execute(("(sleep 0.2; ip -n %s addr del 2001:db8::7/64 dev v0) >/dev/null 2>&1 &"):format(H.quote(name)))
    H.fails("EADDRNOTAVAIL", a:wait{ dad = "done", timeout = 30 })
    assert.are.equal(n0, fds())
  end)

  it("raises on bad options", function()
    local ns = pair("awbad")
    local a = assert(ns:link("v0"):addr_add("2001:db8::9/64"))
    H.raises(function() return a:wait() end, "table expected")
    H.raises(function() return a:wait{} end, "wait", "'dad'")
    H.raises(function() return a:wait{ dad = "started" } end, "wait", "'dad' must be \"done\"")
    H.raises(function() return a:wait{ dad = "done\0" } end, "wait", "'dad' must be")
    H.raises(function() return a:wait{ dad = true } end, "wait", "'dad'")
    H.raises(function() return a:wait{ dad = "done", dadd = 1 } end, "wait", "dadd")
    for _, t in ipairs{ -1, 0 / 0, math.huge, 2 ^ 63, "1" } do
      H.raises(function() return a:wait{ dad = "done", timeout = t } end, "wait", "timeout")
    end
    H.raises(function() return a.wait(ns, { dad = "done" }) end, "vnet.addr expected")
    ns:batch(function()
      H.raises(function() return a:wait{ dad = "done" } end, "wait", "batch")
    end)
    ns:close()
    H.raises(function() return a:wait{ dad = "done" } end, "closed vnet.netns")
  end)
end)
