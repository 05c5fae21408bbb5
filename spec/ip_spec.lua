local H = require "spec.helper"
local vnet = H.vnet
local ip = vnet.ip

-- vnet.ip: vnet.core's address parser and formatter, given to Lua (the
-- topology layer uses it rather than a parser of its own).
-- #host_only (address parsing): nothing here needs what the host kernel lacks; the VM tier
-- (software emulation, where a process start costs ~100x) leaves them out.
describe("vnet.ip #host_only", function()
  teardown(H.cleanup)

  it("parses an address or prefix into family, address, prefix length", function()
    local cases = {
      { "10.0.0.1/24", "inet", "10.0.0.1", 24 }, { "10.0.0.1", "inet", "10.0.0.1", 32 },
      { "fd00::1/64", "inet6", "fd00::1", 64 }, { "::", "inet6", "::", 128 },
      { "FD00:0:0:0:0:0:0:1/128", "inet6", "fd00::1", 128 },
      { "::ffff:1.2.3.4", "inet6", "::ffff:1.2.3.4", 128 },
      { "1:2:3:4:5:6:7:8/0", "inet6", "1:2:3:4:5:6:7:8", 0 },
    }
    for _, c in ipairs(cases) do
      local fam, addr, plen = ip.parse(c[1])
      assert.are.same({ c[2], c[3], c[4] }, { fam, addr, plen }, c[1])
    end
  end)

  it("prints addresses as ip does", function()
    local ns, name = H.ns("ipfmt")
    local l = assert(ns:link_add{ name = "f0", kind = "veth", peer = "f1" })
    for _, a in ipairs({ "fd00:0:0:0::1:0/112", "2001:db8:0:0:1:0:0:1/64", "::ffff:10.1.2.3/128" }) do
      assert(l:addr_add(a, { flags = { "nodad" } }))
      local want = ip.format(a)
      local found = false
      for _, x in ipairs(H.ip(name, "addr", "show", "f0")[1].addr_info) do
        if x["local"] .. "/" .. x.prefixlen == want then found = true end
      end
      assert.is_true(found, want)
    end
  end)

  it("refuses what is not an address with nil, message, EINVAL", function()
    for _, bad in ipairs({ "10.0.0.256", "10.0.0", "10.0.0.1/33", "1:::2", "1::2::3", "fd00::1/129",
                           "1:2:3:4:5:6:7:8:9", "12345::", "x", "", "10.0.0.1/", "/24", "default",
                           "10.0.0.1/+1", "10.0.0.1/ 1", "10.0.0.1/1x", string.rep("1", 100000) }) do
      local fam, msg, err = ip.parse(bad)
      assert.is_nil(fam, bad)
      assert.truthy(msg:find("ip.parse: ", 1, true), msg)
      assert.are.equal("EINVAL", err)
      assert.is_nil((ip.format(bad)))
      assert.is_nil((ip.network(bad)))
      assert.is_nil((ip.contains(bad, "10.0.0.1")))
      assert.is_nil((ip.host(bad, 1)))
    end
  end)

  it("raises for values that are not address strings", function()
    for _, v in ipairs({ 5, true, {}, "10.0.0.1\0/8" }) do
      H.raises(function() ip.parse(v) end, "ip.parse", "the address")
      H.raises(function() ip.contains("10.0.0.0/8", v) end, "ip.contains")
    end
    for _, n in ipairs({ -1, 1.5, 0/0, 2^31, 2^63, "1" }) do
      H.raises(function() ip.host("10.0.0.0/8", n) end, "ip.host", "n")
    end
    H.raises(function() ip.format("10.0.0.1", 33) end, "ip.format", "prefixlen")
  end)

  it("formats, masks, tests membership and hands out host addresses", function()
    assert.are.equal("10.0.0.1/32", ip.format("10.0.0.1"))
    assert.are.equal("10.0.0.1/24", ip.format("10.0.0.1", 24))
    assert.are.equal("fd00::1/64", ip.format("FD00:0::1/64"))
    assert.are.equal("10.1.0.0/20", ip.network("10.1.2.3/20"))
    assert.are.equal("fd00::1:0/112", ip.network("fd00::1:2/112"))
    assert.are.equal("0.0.0.0/0", ip.network("10.1.2.3/0"))
    assert.is_true(ip.contains("10.0.0.0/24", "10.0.0.255/32"))
    assert.is_false(ip.contains("10.0.0.0/24", "10.0.1.0"))
    assert.is_false(ip.contains("10.0.0.0/24", "::a00:1"))
    assert.is_true(ip.contains("fd00::/64", "fd00::ffff:1"))
    assert.are.equal("10.0.0.1/30", ip.host("10.0.0.3/30", 1))
    assert.are.equal("10.0.0.2/30", ip.host("10.0.0.0/30", 2))
    H.fails("ERANGE", ip.host("10.0.0.0/30", 3))        -- the broadcast address
    H.fails("ERANGE", ip.host("10.0.0.0/30", 4))        -- outside
    assert.are.equal("10.0.0.1/31", ip.host("10.0.0.0/31", 1))
    assert.are.equal("10.0.1.0/16", ip.host("10.0.0.0/16", 256))
    assert.are.equal("fd00::12c/64", ip.host("fd00::/64", 300))
    assert.are.equal("fd00::1/127", ip.host("fd00::/127", 1))
    H.fails("ERANGE", ip.host("255.255.255.255/32", 1))
    H.fails("ERANGE", ip.host("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", 1))
  end)

  it("checks interface names as the core's options do", function()
    for _, ok in ipairs({ "eth0", "a", string.rep("x", 15), "v-1.2" }) do
      assert.is_true(vnet.core.ifname_ok(ok), ok)
    end
    for _, bad in ipairs({ "", ".", "..", "a/b", "a b", "a:b", string.rep("x", 16), "a\0b" }) do
      assert.is_false(vnet.core.ifname_ok(bad), bad)
    end
  end)
end)
