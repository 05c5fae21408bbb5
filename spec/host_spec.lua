-- Embedding hosts (issue 13): a handle used after fork() (nginx's master
-- opens it in init_by_lua, each worker uses it), a bound on every wait for
-- the kernel, a signal that ends a wait (a host stopping its worker), and
-- namespaces that end when their handles are closed.
local H = require "spec.helper"
local vnet = H.vnet

-- spec/fork_helper.c, built for the Lua that runs this spec (fork, signals
-- without SA_RESTART, a process that takes answers off a shared socket)
local function fork_helper()
  local pc = rawget(_G, "jit") and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))
  -- in /tmp: the VM tier's view of the source tree is read-only
  local so = ("/tmp/vnet-fork-helper-%d.so"):format(H.pid)
  local ok, out = H.sh(("cc -shared -fPIC -O1 -std=gnu99 "
    .. "$(pkg-config --cflags %s) spec/fork_helper.c -o %s"):format(pc, so))
  assert(ok, out)
  local open = assert(package.loadlib(so, "luaopen_fork_helper"))
  os.remove(so)
  return open()
end

local function count(it)
  local n = 0
  for _ in it do n = n + 1 end
  return n
end

-- runs fn in a child process; its exit status is fn's number (0: passed)
local children = {}
local function in_child(F, fn)
  local pid = F.fork()
  if pid == 0 then
    local ok, code = pcall(fn)
    F.exit(ok and (code or 0) or 100)
  end
  children[#children + 1] = { F, pid }
  return pid
end

-- a child left running by a failed test is killed (and reaped)
local function reap()
  for _, c in ipairs(children) do c[1].wait(c[2], 0) end
  children = {}
end

-- #host_only (fork, signals and handles): nothing here needs what the host kernel lacks; the VM tier
-- (software emulation, where a process start costs ~100x) leaves them out.
describe("a handle used after fork #host_only", function()
  local F
  setup(function() F = fork_helper() end)
  after_each(reap)
  teardown(H.cleanup)

  it("gets a socket of its own in each process: two workers and the master at once", function()
    local ns = H.ns("fork")
    assert(ns:link_add{ name = "v0", kind = "veth", peer = "v1" })
    assert.are.equal(3, count(assert(ns:links())))      -- the socket is in use
    local kids = {}
    for k = 1, 2 do
      kids[k] = in_child(F, function()
        for i = 1, 150 do
          local it = ns:links()
          if not it or count(it) ~= 3 then return 2 end
          local l = ns:link("v0")
          if not l or l.name ~= "v0" then return 3 end
          local a = ("10.%d.%d.1/32"):format(k, i % 200)
          if not ns:addr_add{ dev = "lo", address = a } then return 4 end
          if not ns:addr_del{ dev = "lo", address = a } then return 5 end
        end
        return 0
      end)
    end
    for _ = 1, 150 do assert.are.equal(3, count(assert(ns:links()))) end
    for k = 1, 2 do
      assert.are.same({ "exit", 0 }, { F.wait(kids[k], 60) })
    end
    -- the master's own socket is still right
    assert.are.equal("v0", assert(ns:link("v0")).name)
  end)

  it("fails clearly (no shared socket, no hang) where the socket cannot be opened again", function()
    local ns = H.ns("forkeperm")
    assert(ns:links())
    local pid = in_child(F, function()
      -- a process without the capabilities to enter the namespace (as a
      -- worker that gave up root would be)
      assert(F.drop_admin())
      local ok, msg, err = ns:links()
      if ok ~= nil or err ~= "EPERM" then return 2 end
      if not msg:find("after a fork", 1, true) or msg:find("kernel said", 1, true) then return 3 end
      local ok2, _, err2 = ns:link_add{ name = "x0", kind = "bridge" }
      if ok2 ~= nil or err2 ~= "EPERM" then return 4 end
      local ok3, _, err3 = ns:batch(function(n) n:link_add{ name = "x1", kind = "bridge" } end)
      if ok3 ~= nil or err3 ~= "EPERM" then return 5 end
      return 0
    end)
    assert.are.same({ "exit", 0 }, { F.wait(pid, 30) })
    -- nothing was made through the shared socket
    assert.is_nil(H.iplink(ns.name, "x0"))
    assert.is_nil(H.iplink(ns.name, "x1"))
  end)
end)

describe("a wait for the kernel #host_only", function()
  local F
  setup(function() F = fork_helper() end)
  after_each(reap)
  teardown(H.cleanup)

  it("has a bound: ns.timeout (default 30 s), then ETIMEDOUT and a fresh socket", function()
    local _, name = H.ns("bound")
    local h = assert(vnet.netns.open(name))
    assert.are.equal(30, h.timeout)
    h.timeout = 2.5
    assert.are.equal(2.5, h.timeout)
    assert.are.equal(0.25, assert(vnet.netns.open{ name = name, timeout = 0.25 }).timeout)
    H.raises(function() h.timeout = 0 end, "timeout")
    H.raises(function() h.timeout = -1 end, "timeout")
    H.raises(function() h.timeout = 0 / 0 end, "timeout")
    H.raises(function() h.timeout = math.huge end, "timeout")
    H.raises(function() h.timeout = "1" end, "timeout")
    H.raises(function() h.timeout = 1e-300 end, "timeout")
    H.raises(function() h.timeout = 2 ^ 31 end, "timeout")
    H.raises(function() h[1] = 1 end, "vnet.netns", "number")
    H.raises(function() h["time\0out"] = 1 end, "vnet.netns", "NUL")
    assert.are.equal(2.5, h.timeout)         -- nothing changed by the refusals
    H.raises(function() h.mtu = 1 end, "vnet.netns", "'mtu'")
    H.raises(function() vnet.netns.open{ name = name, timeout = 0 } end, "netns.open", "timeout")
    H.raises(function() vnet.netns.open{ name = name, timeout = true } end, "netns.open", "timeout")
    local pid = in_child(F, function()
      local x = assert(vnet.netns.open{ name = name, timeout = 0.2 })
      assert(x:links())
      -- a process that shares the socket and takes the answers off it
      local thief = F.fork()
      if thief == 0 then F.steal(20); F.exit(0) end
      local code = 2
      -- until a stolen answer leaves it waiting (at most 10 s of tries)
      local t_end = os.time() + 10
      while os.time() <= t_end do
        local ok, msg, err = x:links()
        if ok == nil then
          code = (err == "ETIMEDOUT" and msg:find("ns.timeout", 1, true)) and 0 or 3
          break
        end
      end
      -- the next request is made on a socket of this process's own
      if code == 0 and not x:link("lo") then code = 4 end
      F.wait(thief, 0)
      return code
    end)
    assert.are.same({ "exit", 0 }, { F.wait(pid, 60) })
  end)

  it("ends with EINTR when a signal comes (a host stopping its worker), not retried", function()
    local _, name = H.ns("intr")
    local pid = in_child(F, function()
      F.catch()                    -- SIGUSR1 handled without SA_RESTART, as nginx does
      local x = assert(vnet.netns.open(name))     -- the default bound, 30 s
      assert(x:links())
      local me = F.getpid()
      local thief = F.fork()
      if thief == 0 then F.steal(20, me, 0.05); F.exit(0) end
      local code = 2
      -- until a stolen answer leaves it waiting (at most 10 s of tries)
      local t_end = os.time() + 10
      while os.time() <= t_end do
        local ok, msg, err = x:links()
        if ok == nil then
          code = (err == "EINTR" and msg:find("signal", 1, true)) and 0 or 3
          break
        end
      end
      F.wait(thief, 0)
      if code == 0 and not x:link("lo") then code = 4 end
      return code
    end)
    assert.are.same({ "exit", 0 }, { F.wait(pid, 25) })
  end)
end)

describe("a monitor in a host #host_only", function()
  local F
  setup(function() F = fork_helper() end)
  after_each(reap)
  teardown(H.cleanup)

  it("used after fork fails clearly in the other process, and goes on in its own", function()
    local ns = H.ns("monfork")
    local mon = assert(ns:monitor{ "link" })
    local pid = in_child(F, function()
      local ev, msg, err = mon:read()
      if ev ~= nil or err ~= "EBADF" then return 2 end
      if not msg:find("after a fork", 1, true) or msg:find("kernel said", 1, true) then return 3 end
      local ev2, _, err2 = mon:wait(0.1)
      if ev2 ~= nil or err2 ~= "EBADF" then return 4 end
      -- a monitor of its own works
      local m2 = ns:monitor{ "link" }
      if not m2 then return 5 end
      if not ns:link_add{ name = "c0", kind = "bridge" } then return 6 end
      local ev3 = m2:wait(5)
      return ev3 and ev3.object and ev3.object.name == "c0" and 0 or 7
    end)
    assert.are.same({ "exit", 0 }, { F.wait(pid, 30) })
    -- the parent's stream is whole: the child took none of its events
    local seen
    for ev in mon:events(2) do
      if ev.object and ev.object.name == "c0" then seen = true; break end
    end
    assert.is_true(seen)
  end)

  it("wait ends with EINTR when a signal comes, as a request does", function()
    local ns = H.ns("monintr")
    local pid = in_child(F, function()
      F.catch()
      local mon = assert(ns:monitor{ "link" })
      local me = F.getpid()
      local k = F.fork()
      if k == 0 then os.execute("sleep 0.3"); F.kill(me); F.exit(0) end
      local t0 = os.time()
      local ev, msg, err = mon:wait(20)
      F.wait(k, 5)
      if ev ~= nil or err ~= "EINTR" or not msg:find("signal", 1, true) then return 2 end
      return os.time() - t0 < 10 and 0 or 3
    end)
    assert.are.same({ "exit", 0 }, { F.wait(pid, 30) })
  end)
end)

-- whether a descriptor of this process refers to the namespace with inode ino
local function holds(ino)
  local ok, out = H.sh("ls -l /proc/" .. H.pid .. "/fd")
  assert(ok, out)
  return out:find("net:[" .. ino .. "]", 1, true) ~= nil
end

-- waits (at most 10 s) for the link named name to be removed from ns
local function removed(mon, name)
  for ev in mon:events(10) do
    if ev.type == "del" and ev.kind == "link" and ev.object.name == name then return true end
  end
  return false
end

describe("namespaces end when asked #host_only", function()
  teardown(H.cleanup)

  it("a deleted namespace lives while a handle is open, and ends with ns:close()", function()
    local outer = H.ns("outer")
    local name = H.name("gone")
    local ns = assert(vnet.netns.add(name))
    local ino = ns.id
    assert(outer:link_add{ name = "p0", kind = "veth", peer = { name = "p1", netns = ns } })
    assert.is_true(vnet.netns.delete(name))
    assert.truthy(holds(ino))
    assert.truthy(outer:link("p0"))           -- p1's namespace still exists
    local mon = assert(outer:monitor{ "link" })
    ns:close()                                -- every Lua version, no collector
    assert.is_true(ns.closed)
    assert.is_false(holds(ino))
    assert.is_true(removed(mon, "p0"))        -- the namespace is gone, and p1 with it
    assert.is_nil(outer:link("p0"))
    mon:close()
  end)

  it("net:close() closes the topology's handles; net:down() needs no full collection", function()
    local topo = require "vnet.topology"
    local outer = H.ns("touter")
    local net = topo.new{ name = H.name("t") }
    local a, b = net:host("a"), net:host("b")
    net:link(a, b, { a = "10.0.0.1/24", b = "10.0.0.2/24" })
    assert(net:up())
    local ha = assert(net:ns(a))
    local ino = ha.id
    assert.is_true(net:close())
    assert.is_true(ha.closed)
    assert.is_false(holds(ino))
    -- the topology opens what it needs again
    local _, all = net:status()
    assert.is_true(all)
    -- a link of the test's own from a's namespace into outer: it goes only
    -- when a's namespace really ends
    assert(outer:link_add{ name = "q0", kind = "veth", peer = { name = "q1", netns = net:ns(a) } })
    local mon = assert(outer:monitor{ "link" })
    local real, full = collectgarbage, 0
    _G.collectgarbage = function(opt, ...)
      if opt == nil or opt == "collect" then full = full + 1 end
      return real(opt, ...)
    end
    local ok, msg = net:down()
    _G.collectgarbage = real
    assert.is_true(ok, msg)
    assert.are.equal(0, full)
    assert.is_false(holds(ino))
    assert.is_true(removed(mon, "q0"))
    mon:close()
  end)
end)
