-- Large topologies: a star of 200 hosts on one switch and a chain of 50
-- routers come up, pass reach checks on a sample of pairs, and go down
-- cleanly. Not timed: timing belongs to the benchmarks.
--
-- Tagged #host_only: they need only veth and bridge, which every kernel has,
-- so the host tiers (lua5.4, luajit, asan) cover them; the full-kernel VM
-- tier, under software emulation, skips them with --exclude-tags=host_only
-- (there a 200-port bridge floods ARP to 200 namespaces on one emulated CPU:
-- over a minute, and a one-second ping can time out).
local H = require "spec.helper"
local topo = require "vnet.topology"

local leftovers = H.leftovers

describe("topology at scale", function()
  after_each(H.cleanup)

  it("brings up a star of 200 hosts on one switch, reaches sampled pairs, goes down #host_only", function()
    local net = topo.new{ name = H.name("star") }
    local sw = net:switch("sw", { subnet = "10.20.0.0/16" })
    local hosts = {}
    for i = 1, 200 do
      hosts[i] = net:host("h" .. i)
      net:link(hosts[i], sw)
    end
    finally(function() net:down() end)
    assert(net:up())
    assert.are.equal(201, #leftovers(net.name))
    -- the bridge has 200 ports, as `ip` sees it
    local ports = 0
    for _, l in ipairs(H.ip(net.name, "link", "show", "master", "sw")) do
      if l.ifname:match("^swp%d+$") then ports = ports + 1 end
    end
    assert.are.equal(200, ports)
    assert.are.equal("10.20.0.200", net:addr(hosts[200]))
    local sample = { { hosts[1], hosts[200] }, { hosts[200], hosts[1] }, { hosts[100], hosts[101] } }
    for i = 1, 37 do sample[#sample + 1] = { hosts[(i * 7) % 200 + 1], hosts[(i * 13 + 50) % 200 + 1] } end
    local pairs_ = {}
    for _, p in ipairs(sample) do if p[1] ~= p[2] then pairs_[#pairs_ + 1] = p end end
    local all, res = net:reach{ pairs = pairs_, quiet = true }
    for _, r in ipairs(res) do assert.is_true(r.ok, r.x .. " -> " .. r.y) end
    assert.is_true(all)
    -- a second up over 1000 objects finds them all present
    assert(net:up())
    local _, present = net:status()
    assert.is_true(present)
    assert.is_true(net:down())
    assert.are.same({}, leftovers(net.name))
  end)

  it("a bridge takes topo.star's BRIDGE_PORTS (1023) ports and refuses one more #host_only", function()
    local gen = require "vnet.topology.gen"
    local ns = H.ns("br")
    local br = assert(ns:link_add{ name = "br0", kind = "bridge" })
    assert(ns:batch(function(b)
      for i = 1, gen.BRIDGE_PORTS do
        b:link_add{ name = "p" .. i, kind = "veth", master = br, peer = { name = "q" .. i } }
      end
    end))
    assert.are.equal(gen.BRIDGE_PORTS, #H.ip(ns.name, "link", "show", "master", "br0"))
    H.fails("EXFULL", ns:link_add{ name = "p0", kind = "veth", master = br, peer = { name = "q0" } })
  end)

  it("brings up a chain of 50 routers, reaches end to end and sampled pairs, goes down #host_only", function()
    local N = 50
    local net = topo.new{ name = H.name("chain") }
    local nodes = { net:host("src") }
    for i = 1, N do nodes[#nodes + 1] = net:router("r" .. i) end
    nodes[#nodes + 1] = net:host("dst")
    local function subnet(i) return ("10.30.%d.0/30"):format(i - 1) end
    for i = 1, #nodes - 1 do net:link(nodes[i], nodes[i + 1], { subnet = subnet(i) }) end
    for i, n in ipairs(nodes) do
      if i < #nodes then net:route(n, "default", nodes[i + 1]) end
      for j = 1, i - 2 do net:route(n, subnet(j), nodes[i - 1]) end
    end
    finally(function() net:down() end)
    assert(net:up())
    assert.are.equal(N + 2, #leftovers(net.name))
    local src, dst = nodes[1], nodes[#nodes]
    local pairs_ = { { src, dst }, { dst, src }, { nodes[2], nodes[N] }, { nodes[N], nodes[3] } }
    for i = 1, 16 do pairs_[#pairs_ + 1] = { nodes[(i * 11) % (N + 2) + 1], nodes[(i * 17 + 5) % (N + 2) + 1] } end
    local clean = {}
    for _, p in ipairs(pairs_) do if p[1] ~= p[2] then clean[#clean + 1] = p end end
    local all, res = net:reach{ pairs = clean, quiet = true }
    for _, r in ipairs(res) do assert.is_true(r.ok, r.x .. " -> " .. r.y) end
    assert.is_true(all)
    -- the path really has 51 hops: with TTL 51 the ping gets through, with 50 it expires at r50
    local ok = net:exec(src, { "ping", "-n", "-c", "1", "-W", "1", "-t", tostring(N + 1), net:addr(dst) },
                        { capture = true })
    assert.is_true(ok)
    local _, out = net:exec(src, { "ping", "-n", "-c", "1", "-W", "1", "-t", tostring(N), net:addr(dst) },
                            { capture = true })
    assert.truthy(out:find("From " .. net:addr(nodes[N + 1]), 1, true), out)
    assert.is_true(net:down())
    assert.are.same({}, leftovers(net.name))
  end)

  -- two descriptors per namespace: 40 hosts need more than a soft limit of
  -- 64. A child process brings them up under ulimit, counts the lab's
  -- namespaces as `ip` lists them, takes them down; -> its up status ("up"
  -- or the errname), that count, its soft limit after up, its output.
  local function lab(ulimit)
    local name = H.name("fds")
    finally(function() topo.new{ name = name }:down() end)
    local code, out, err = H.run_src(([[
      local vnet = require "vnet"
      local net = require("vnet.topology").new{ name = %q }
      for i = 1, 40 do net:host("h" .. i) end
      local ok, msg, err = net:up()
      local n = 0
      for l in io.popen("ip netns list"):lines() do
        if l:find(%q, 1, true) == 1 then n = n + 1 end
      end
      print(ok and "up" or err, n, (vnet.core.nofile()))
      print(msg)
      assert(net:down())
    ]]):format(name, name .. "-"), ulimit)
    assert.are.equal(0, code, err)
    assert.are.same({}, leftovers(name))
    local st, n, soft = out:match("^(%S+)%s+(%d+)%s+(%d+)")
    return st, tonumber(n), tonumber(soft), out
  end

  it("raises the soft limit of descriptors for a lab that needs more", function()
    local st, n, soft, out = lab("ulimit -S -n 64;")
    assert.are.equal("up", st, out)
    assert.are.equal(40, n)
    assert.is_true(soft >= 3 * 40 + 256, out)
  end)

  it("makes room too in a process that only opens the running lab's namespaces", function()
    local name = H.name("fdo")
    local net = topo.new{ name = name }
    for i = 1, 40 do net:host("h" .. i) end
    finally(function() net:down() end)
    assert(net:up())
    local code, out, err = H.run_src(([[
      local vnet = require "vnet"
      local net = require("vnet.topology").new{ name = %q }
      for i = 1, 40 do net:host("h" .. i) end
      for i = 1, 40 do assert(net:ns("h" .. i)) end
      print(vnet.core.nofile())
    ]]):format(name), "ulimit -S -n 64;")
    assert.are.equal(0, code, err)
    assert.is_true(tonumber(out:match("^(%d+)")) >= 3 * 40 + 256, out)
  end)

  it("past the hard limit, up fails with EMFILE and leaves nothing", function()
    local st, n, soft, out = lab("ulimit -n 64;")
    assert.are.equal("EMFILE", st, out)
    assert.are.equal(0, n)
    assert.are.equal(64, soft)
    assert.truthy(out:find("Too many open files", 1, true), out)
  end)
end)
