-- vnet.topology's processes and events: net:spawn keeps what it starts and
-- down ends it (status lists it); net:monitor watches every namespace of
-- the topology through one object whose fds an event loop can poll.
local H = require "spec.helper"
local topo = require "vnet.topology"
local vnet = H.vnet

local procs_with = H.procs_with

local my_children = H.children

local function build(name)
  local net = topo.new{ name = name }
  local a, b = net:host("a"), net:host("b")
  local sw = net:switch("sw")
  net:link(a, sw, { a = "10.0.1.1/24" })
  net:link(b, sw, { b = "10.0.1.2/24" })
  return net, a, b
end

-- #host_only (processes and events of a topology): nothing here needs what the host kernel lacks; the VM tier
-- (software emulation, where a process start costs ~100x) leaves them out.
describe("vnet.topology processes and events #host_only", function()
  teardown(H.cleanup)

  it("net:spawn runs in the node's namespace; status lists it; down ends it", function()
    local net = build(H.name("t"))
    finally(function() net:down() end)
    assert(net:up())
    local marker = "984." .. H.pid
    local kids = my_children()
    local p = assert(net:spawn("a", { "sh", "-c", "sleep " .. marker .. " & sleep " .. marker }))
    local q = assert(net:spawn("b", { "ip", "-o", "addr", "show", "dev", "eth0" }))
    assert.are.same({ true, 0, "exit" }, { q:wait(10) })
    local out = {}
    repeat local s = q:read(); out[#out + 1] = s or "" until s == nil
    assert.truthy(table.concat(out):find("10.0.1.2/24", 1, true))
    -- a's namespace holds the program
    local found = false
    for _, x in ipairs(net:ns("a"):pids()) do found = found or x == p.pid end
    assert.is_true(found)
    local _, all, procs = net:status()
    assert.is_true(all)
    assert.are.equal(2, #procs)
    assert.are.equal("a", procs[1].node)
    assert.are.equal("running", procs[1].state)
    assert.are.equal(p.pid, procs[1].pid)
    assert.are.same({ "sh", "-c", "sleep " .. marker .. " & sleep " .. marker }, procs[1].argv)
    assert.are.equal("exited", procs[2].state)
    assert.are.same(procs, net:processes())
    assert(net:down())
    assert.is_true(p.closed)
    assert.are.same({}, procs_with(marker))
    assert.are.same(kids, my_children())
    assert.are.same({}, net:processes())
  end)

  it("net:spawn checks its arguments and fails like ns:spawn", function()
    local net = build(H.name("t"))
    finally(function() net:down() end)
    assert(net:up())
    H.raises(function() net:spawn("nope", { "true" }) end, "spawn")
    H.raises(function() net:spawn("a", {}) end, "spawn: argv must be a non-empty list")
    H.raises(function() net:spawn("a", "true") end, "spawn: argv must be a non-empty list")
    H.raises(function() net:spawn("a", { "true" }, { capture = true }) end, "spawn", "capture")
    H.raises(function() net:spawn("a", { "true" }, { stdout = "bogus" }) end, "spawn: option 'stdout'")
    H.fails("ENOENT", net:spawn("a", { "/nonexistent" }))
    assert.are.same({}, net:processes())
  end)

  it("net:monitor delivers the events of every namespace, naming the node", function()
    local net = build(H.name("t"))
    finally(function() net:down() end)
    assert(net:up())
    local mon = assert(net:monitor{ "link", "addr" })
    assert.are.equal(3, #mon.fds)   -- a, b and the switches' fabric
    for _, fd in ipairs(mon.fds) do assert.is_number(fd) end
    H.ipdo(net:ns("a").name, "addr", "add", "10.0.9.1/32", "dev", "lo")
    H.ipdo(net:ns("b").name, "addr", "add", "10.0.9.2/32", "dev", "lo")
    local seen = {}
    for _ = 1, 50 do
      local ev = mon:wait(5)
      if not ev then break end
      if ev.kind == "addr" and ev.type == "new" then seen[ev.node] = ev.object.address end
      if seen.a and seen.b then break end
    end
    assert.are.same({ a = "10.0.9.1", b = "10.0.9.2" }, seen)
    mon:close()
    -- nothing happens to rules by itself: nothing to read, and no block
    mon = assert(net:monitor{ "rule" })
    assert.is_nil(mon:read())
    assert.are.same({}, vnet.poll(mon.fds, 0))
    assert.are.same({ nil, "timeout", "ETIMEDOUT" }, { mon:wait(0.2) })
    local n = 0
    for _ in mon:events(0) do n = n + 1 end
    assert.are.equal(0, n)
    mon:close()
    mon:close()
    H.raises(function() mon:read() end, "closed topology monitor")
    H.raises(function() mon:wait("x") end, "timeout must be a number")
  end)
end)
