local H = require "spec.helper"

describe("ns:batch", function()
  teardown(H.cleanup)

  it("queues changes and sends them pipelined", function()
    local ns, name = H.ns("batch")
    local ok = ns:batch(function(n)
      for i = 1, 300 do
        assert.is_true(n:link_add{ name = "a" .. i, kind = "veth", peer = "b" .. i,
                                   up = true, alias = "tag" .. i })
      end
    end)
    assert.is_true(ok)
    local count, tagged = 0, 0
    for _, l in ipairs(H.ip(name, "link", "show")) do
      if l.ifname:match("^[ab]%d+$") then count = count + 1 end
      if l.ifname:match("^a%d+$") and l.ifalias == "tag" .. l.ifname:sub(2) then
        tagged = tagged + 1
      end
    end
    assert.are.equal(600, count)
    assert.are.equal(300, tagged)
  end)

  it("reports each failed request by its position, and sends the rest", function()
    local ns, name = H.ns("batch")
    assert(ns:link_add{ name = "taken", kind = "bridge" })
    local ok, msg, err, failures = ns:batch(function(n)
      n:link_add{ name = "ok1", kind = "bridge" }
      n:link_add{ name = "taken", kind = "bridge" }
      n:link_add{ name = "ok2", kind = "bridge" }
      n:link_add{ name = "taken", kind = "bridge" }
    end)
    assert.is_nil(ok)
    assert.are.equal("EEXIST", err)
    assert.truthy(msg:find("2 of 4 requests failed; request 2: File exists", 1, true), msg)
    assert.are.same({ 2, 4 }, { failures[1].index, failures[2].index })
    assert.are.equal("EEXIST", failures[2].errname)
    assert.truthy(H.iplink(name, "ok1") and H.iplink(name, "ok2"))
  end)

  it("keeps the kernel's text for each failure", function()
    local ns = H.ns("batch")
    local br = assert(ns:link_add{ name = "br0", kind = "bridge" })
    local _, _, err, failures = ns:batch(function(n)
      n:link_add{ name = "br1", kind = "bridge", master = br }
    end)
    assert.are.equal("ELOOP", err)
    assert.truthy(failures[1].message:find("Can not enslave a bridge to a bridge", 1, true))
  end)

  it("sends nothing when the function raises", function()
    local ns, name = H.ns("batch")
    H.raises(function()
      ns:batch(function(n)
        n:link_add{ name = "never0", kind = "bridge" }
        error("changed my mind")
      end)
    end, "changed my mind")
    assert.is_nil(H.iplink(name, "never0"))
    -- the handle works normally afterwards
    assert(ns:link_add{ name = "after0", kind = "bridge" })
    assert.truthy(H.iplink(name, "after0"))
  end)

  it("queues set and delete too; an empty batch is fine", function()
    local ns, name = H.ns("batch")
    local l = assert(ns:link_add{ name = "s0", kind = "veth", peer = "s1" })
    assert.is_true(ns:batch(function()
      assert.is_true(l:set{ mtu = 1400, up = true })
    end))
    assert.are.equal(1400, H.iplink(name, "s0").mtu)
    assert.is_true(ns:batch(function() end))
    assert.is_true(ns:batch(function() assert.is_true(l:delete()) end))
    assert.is_nil(H.iplink(name, "s0"))
  end)

  it("rejects misuse", function()
    local ns = H.ns("batch")
    H.raises(function() ns:batch() end, "function expected")
    H.raises(function() ns:batch(function(n) n:batch(function() end) end) end, "already in a batch")
  end)
end)

describe("ns:batch across object types", function()
  teardown(H.cleanup)

  it("queues addresses, routes, rules and neighbours", function()
    local ns, name = H.ns("bulk")
    local l = assert(ns:link_add{ name = "d0", kind = "veth", peer = "d1", up = true })
    assert(ns:link("d1")):set{ up = true }
    assert.is_true(ns:batch(function(n)
      assert.is_true(l:addr_add("10.9.0.1/24"))
      for i = 1, 200 do
        assert.is_true(n:route_add{ dst = ("10.%d.%d.0/24"):format(100 + math.floor(i / 256), i % 256),
                                    gateway = "10.9.0.2", table = 100 })
      end
      assert.is_true(n:rule_add{ from = "10.9.0.0/24", table = 100, priority = 1000 })
      assert.is_true(n:neigh_add{ dst = "10.9.0.7", lladdr = "02:00:00:00:00:07", dev = l })
    end))
    assert.are.equal(200, #H.ip(name, "route", "show", "table", "100"))
    local info = H.ip(name, "addr", "show", "dev", "d0")[1].addr_info
    assert.are.equal("10.9.0.1", info[1]["local"])
    local rules = 0
    for _, r in ipairs(H.ip(name, "rule", "show")) do
      if r.priority == 1000 and r.table == "100" then rules = rules + 1 end
    end
    assert.are.equal(1, rules)
    local neigh = H.ip(name, "neigh", "show", "dev", "d0")
    assert.are.equal("02:00:00:00:00:07", neigh[1].lladdr)
  end)
end)
