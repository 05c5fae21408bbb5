-- ns:spawn: a program started in a namespace and handed back as a
-- vnet.process to drive without blocking (pollable fds, non-blocking read
-- and write, wait with a bound, kill), whose end is never lost to a host's
-- SIGCHLD handler and which leaves no process, zombie or descriptor behind:
-- not after close, collection, a timeout, nor when the caller dies at any
-- instant.
local H = require "spec.helper"
local vnet = H.vnet

local script, run = H.lua_script, H.run_src

local procs_with = H.procs_with

local function kill_all(marker)
  for _, p in ipairs(procs_with(marker)) do os.execute("kill -9 " .. p .. " 2>/dev/null") end
end

-- gone: no process with marker within a few seconds
local function gone(marker)
  local left
  for _ = 1, 100 do
    left = procs_with(marker)
    if #left == 0 then return true end
    H.sh("sleep 0.05")
  end
  return false, left
end

local my_children = H.children

local fd_count = H.fd_count

-- reads stream until its end (polling with waits of the process between)
local function read_all(p, which)
  local t = {}
  for _ = 1, 400 do
    local s = p:read(which)
    if s == nil then return table.concat(t) end
    t[#t + 1] = s
    if s == "" then H.sh("sleep 0.01") end
  end
  error("no end of " .. tostring(which))
end

-- #host_only (processes): nothing here needs what the host kernel lacks; the VM tier
-- (software emulation, where a process start costs ~100x) leaves them out.
describe("ns:spawn #host_only", function()
  teardown(H.cleanup)

  it("runs a program in the namespace and drives its stdio without blocking", function()
    local ns, name = H.ns("sp")
    H.ip(name, "link", "set", "lo", "up")
    local p = assert(ns:spawn{ "sh", "-c", "echo out; echo err >&2; read x; echo got $x; exit 3",
                               stdin = "pipe" })
    assert.are.equal("vnet.process", getmetatable(p).__name)
    assert.is_number(p.pid)
    assert.is_true(p.running)
    for _, k in ipairs{ "fd", "stdin_fd", "stdout_fd", "stderr_fd" } do assert.is_number(p[k], k) end
    assert.are.equal("sh", p.program)
    -- the program lives in the namespace
    local pids = ns:pids()
    local found = false
    for _, x in ipairs(pids) do found = found or x == p.pid end
    assert.is_true(found, "pid " .. p.pid .. " is not in the namespace")
    -- nothing to read yet is "", never a block
    assert.are.equal(4, p:write("abc\n"))
    local ok, code, how = p:wait(10)
    assert.is_false(ok)
    assert.are.equal(3, code)
    assert.are.equal("exit", how)
    assert.is_false(p.running)
    assert.are.equal("exited", p.state)
    assert.are.equal("out\ngot abc\n", read_all(p))
    assert.are.equal("err\n", read_all(p, "stderr"))
    -- wait again: the same answer
    assert.are.same({ false, 3, "exit" }, { p:wait() })
    p:close()
    assert.is_true(p.closed)
    H.raises(function() p:wait() end, "closed vnet.process")
    H.raises(function() return p.pid end, "closed vnet.process")
    p:close()
    assert.truthy(tostring(p):find("closed"))
  end)

  it("ok, code and how are exec's", function()
    local ns = H.ns("sp")
    assert.are.same({ true, 0, "exit" }, { assert(ns:spawn{ "true" }):wait(10) })
    assert.are.same({ false, 9, "signal" }, { assert(ns:spawn{ "sh", "-c", "kill -9 $$" }):wait(10) })
    local p = assert(ns:spawn{ "sleep", "100", timeout = 0.3 })
    assert.are.same({ false, 9, "timeout" }, { p:wait(10) })
    assert.are.equal("timeout", p.state)
  end)

  it("wait gives up after its timeout and the program runs on", function()
    local ns = H.ns("sp")
    local p = assert(ns:spawn{ "sleep", "100" })
    finally(function() p:close() end)
    local r = { p:wait(0.1) }
    assert.are.same({ nil, "timeout", "ETIMEDOUT" }, r)
    assert.is_true(p.running)
    assert.is_true(p:kill("TERM"))
    assert.are.same({ false, 15, "signal" }, { p:wait(10) })
    -- once ended (and its status read), the pid is no longer the program's
    H.fails("ESRCH", p:kill())
    H.fails("ESRCH", p:kill(0))
  end)

  it("kill takes numbers and names", function()
    local ns = H.ns("sp")
    for _, s in ipairs{ { "INT", 2 }, { "SIGUSR1", 10 }, { 9, 9 }, { "HUP", 1 } } do
      local p = assert(ns:spawn{ "sleep", "100" })
      assert.is_true(p:kill(0))
      assert.is_true(p:kill(s[1]))
      assert.are.same({ false, s[2], "signal" }, { p:wait(10) })
      p:close()
    end
  end)

  it("reports a program that cannot start, leaving nothing behind", function()
    local ns = H.ns("sp")
    collectgarbage(); collectgarbage()
    local before, fds = my_children(), fd_count()
    local msg = H.fails("ENOENT", ns:spawn{ "/nonexistent/prog" })
    assert.truthy(msg:find("spawn /nonexistent/prog", 1, true), msg)
    H.fails("ENOENT", ns:spawn{ "no-such-program-" .. H.pid })
    msg = H.fails("ENOENT", ns:spawn{ "true", cwd = "/nonexistent" })
    assert.truthy(msg:find("cwd '/nonexistent'", 1, true), msg)
    local path = os.tmpname()   -- mode 0600: no one may execute it
    finally(function() os.remove(path) end)
    H.fails("EACCES", ns:spawn{ path })
    assert.are.same(before, my_children())
    assert.are.equal(fds, fd_count())
  end)

  it("close and collection kill the program and its process group, and reap both", function()
    local ns = H.ns("sp")
    local marker = "981." .. H.pid
    finally(function() kill_all(marker) end)
    collectgarbage(); collectgarbage()
    local before, fds = my_children(), fd_count()
    for i = 1, 10 do
      local p = assert(ns:spawn{ "sh", "-c", "sleep " .. marker .. " & sleep " .. marker .. "; :" })
      if i % 2 == 0 then p:close() else p = nil; collectgarbage(); collectgarbage() end
    end
    assert.is_true(gone(marker))
    assert.are.same(before, my_children())
    assert.are.equal(fds, fd_count())
    -- a program ended and waited for: what it left in its group goes too
    local p = assert(ns:spawn{ "sh", "-c", "sleep " .. marker .. " & exit 0" })
    assert.are.same({ true, 0, "exit" }, { p:wait(10) })
    assert.is_true(gone(marker))
    assert.are.same(before, my_children())
    p:close()
    assert.are.equal(fds, fd_count())
  end)

  it("a kill or close at any instant of a program's life is right and leaves nothing", function()
    local ns = H.ns("sp")
    collectgarbage(); collectgarbage()
    local before, fds = my_children(), fd_count()
    for i = 1, 30 do
      -- at once after the start
      local p = assert(ns:spawn{ "sleep", "100" })
      assert.is_true(p:kill("KILL"))
      assert.are.same({ false, 9, "signal" }, { p:wait(10) })
      p:close()
      -- a program that ends by itself, raced by kill: either it was still
      -- there (true, then its end is whatever came first) or ESRCH
      p = assert(ns:spawn{ "true" })
      if i % 3 == 0 then H.sh("sleep 0.01") end
      local ok, _, err = p:kill("TERM")
      assert.is_true(ok == true or err == "ESRCH")
      local w = { p:wait(10) }
      assert.is_true((w[2] == 0 and w[3] == "exit") or (w[2] == 15 and w[3] == "signal"))
      p:close()
      -- closed while starting up or running
      p = assert(ns:spawn{ "sh", "-c", "sleep 100 & exec sleep 100" })
      if i % 2 == 0 then H.sh("sleep 0.01") end
      p:close()
    end
    assert.are.same(before, my_children())
    assert.are.equal(fds, fd_count())
    local _, out = H.sh("ps -o stat= --ppid " .. H.pid)
    assert.falsy(out:find("Z"), out)
  end)

  it("leaves no zombie: the program's end is collected by wait, kill or close", function()
    local ns = H.ns("sp")
    local before = my_children()
    local p = assert(ns:spawn{ "true" })
    assert.are.same({ true, 0, "exit" }, { p:wait(10) })
    -- keeper and program both reaped at once
    assert.are.same(before, my_children())
    p:close()
  end)

  it("gives the program only stdin, stdout and stderr", function()
    local ns = H.ns("sp")
    local path = os.tmpname()
    local f = assert(io.open(path))   -- not close-on-exec
    finally(function() f:close(); os.remove(path) end)
    local p = assert(ns:spawn{ "ls", "-l", "/proc/self/fd" })
    p:wait(10)
    local out = read_all(p)
    p:close()
    assert.falsy(out:find(path, 1, true), out)
    local fds = {}
    for fd in out:gmatch(" (%d+) %-> ") do fds[#fds + 1] = tonumber(fd) end
    table.sort(fds)
    assert.are.same({ 0, 1, 2, 3 }, fds)   -- 3: the directory ls reads
  end)

  it("stdio as pipes, /dev/null, inherited, or stderr into stdout", function()
    local ns = H.ns("sp")
    local p = assert(ns:spawn{ "sh", "-c", "echo a; echo b >&2; cat", stderr = "stdout" })
    p:wait(10)
    assert.are.equal("a\nb\n", read_all(p))     -- cat read /dev/null: stdin is "null"
    H.raises(function() p:read("stderr") end, "read: stderr is not a pipe", "\"stdout\"")
    H.raises(function() p:write("x") end, "write: stdin is not a pipe", "\"null\"")
    p:close()
    p = assert(ns:spawn{ "sh", "-c", "echo a", stdout = "null", stderr = "null" })
    assert.are.same({ true, 0, "exit" }, { p:wait(10) })
    assert.is_nil(p.stdout_fd)
    H.raises(function() p:read() end, "read: stdout is not a pipe")
    p:close()
    local code, out = run([[
      local p = assert(require "vnet".netns.current():spawn{ "echo", "inherited", stdout = "inherit" })
      assert(p:wait(10))
      p:close()
    ]])
    assert.are.equal(0, code)
    assert.are.equal("inherited\n", out)
  end)

  it("write takes what fits, and a closed stdin is EPIPE, never SIGPIPE", function()
    local ns = H.ns("sp")
    local p = assert(ns:spawn{ "sleep", "100", stdin = "pipe" })
    finally(function() p:close() end)
    local total, n = 0, nil
    repeat
      n = p:write(string.rep("x", 65536))
      total = total + n
    until n == 0 or total > 1e8
    assert.are.equal(0, n)   -- the pipe is full: 0, not a block
    assert.is_true(total > 0)
    p:kill("KILL")
    p:wait(10)
    H.fails("EPIPE", p:write("x"))
    assert.is_true(p:close_stdin())
    H.raises(function() p:write("x") end, "write: stdin was closed")
    assert.is_true(p:close_stdin())
  end)

  it("reads what a program writes in bounded pieces", function()
    local ns = H.ns("sp")
    local p = assert(ns:spawn{ "head", "-c", "200000", "/dev/zero" })
    finally(function() p:close() end)
    p:wait(10)
    local n, piece = 0, nil
    repeat
      piece = p:read("stdout", 1000)
      if piece then
        assert.is_true(#piece <= 1000)
        n = n + #piece
      end
    until piece == nil or (piece == "" and not p.running and n >= 200000)
    assert.are.equal(200000, n)
  end)

  describe("in a host that reaps children", function()
    it("with SIGCHLD ignored, codes and signals stay right", function()
      local code, out, err = run([[
        local ns = require "vnet".netns.current()
        local bad = 0
        for _ = 1, 30 do
          local p = ns:spawn{ "false" }
          local ok, c, how = p:wait(10)
          if ok ~= false or c ~= 1 or how ~= "exit" then bad = bad + 1 end
          p:close()
          p = ns:spawn{ "sh", "-c", "kill -9 $$" }
          ok, c, how = p:wait(10)
          if ok ~= false or c ~= 9 or how ~= "signal" then bad = bad + 1 end
          p:close()
        end
        print("wrong " .. bad)
      ]], "perl -e '$SIG{CHLD} = \"IGNORE\"; exec @ARGV or exit 99' env")
      assert.are.equal(0, code, err)
      assert.are.equal("wrong 0\n", out)
    end)
    local it_cc = H.it_cc
    it_cc("with waitpid(-1) on SIGCHLD (nginx's way), codes stay right and the host sees nothing", function()
      local preload, so = H.reaper()
      finally(function() os.remove(so) end)
      local code, res, err = run([[
        local ns = require "vnet".netns.current()
        local bad = 0
        for _ = 1, 30 do
          local p = ns:spawn{ "sh", "-c", "exit 7" }
          local ok, c, how = p:wait(10)
          if ok ~= false or c ~= 7 or how ~= "exit" then bad = bad + 1 end
          p:close()
          p = ns:spawn{ "sleep", "10" }
          p:kill()
          ok, c, how = p:wait(10)
          if ok ~= false or c ~= 15 or how ~= "signal" then bad = bad + 1 end
          p:close()
        end
        print("wrong " .. bad)
      ]], preload)
      assert.are.equal(0, code, err)
      assert.are.equal("wrong 0\n", res)
      assert.truthy(err:find("reaped 0", 1, true), err)
    end)
  end)

  it("the program ends when its caller dies, at any instant", function()
    local marker = "982." .. H.pid
    finally(function() kill_all(marker) end)
    local path = script(([[
      local ns = require "vnet".netns.current()
      local ps = {}
      for i = 1, 200 do
        ps[#ps + 1] = assert(ns:spawn{ "sleep", "%s", stdin = "pipe" })
        if i %% 3 == 0 then ps[#ps]:close() end
      end
    ]]):format(marker))
    finally(function() os.remove(path) end)
    -- killed with SIGKILL at spread instants (before, during and after spawns)
    for i = 0, 9 do
      local ok, out = H.sh(H.lua_cmd() .. " " .. H.quote(path) .. " & sleep " .. (i * 0.03) ..
                           "; kill -9 $! 2>/dev/null; wait")
      assert(ok or out, out)
      local ended, left = gone(marker)
      assert.is_true(ended, "left running after kill at " .. (i * 0.03) .. " s: " ..
                     table.concat(left or {}, " "))
    end
    -- and a plain exit without closing (no collection) ends them too
    local code = run(([[
      local p = assert(require "vnet".netns.current():spawn{ "sleep", "%s" })
      os.exit(0, false)
    ]]):format(marker))
    assert.are.equal(0, code)
    assert.is_true(gone(marker))
  end)

  it("no other program inherits a process's descriptors (its control socket among them)", function()
    local marker = "983." .. H.pid
    finally(function() kill_all(marker) end)
    local ns = H.ns("sp")
    local p = assert(ns:spawn{ "sleep", marker, stdin = "pipe" })
    finally(function() p:close() end)
    local ok, out = ns:exec{ "ls", "-l", "/proc/self/fd" }
    assert.is_true(ok)
    assert.falsy(out:find("socket", 1, true), out)
    local fds = {}
    for fd in out:gmatch(" (%d+) %-> ") do fds[#fds + 1] = tonumber(fd) end
    table.sort(fds)
    assert.are.same({ 0, 1, 2, 3 }, fds)
    p:close()
    assert.is_true(gone(marker))
  end)

  describe("vnet.poll", function()
    it("tells which fds of a process are ready, with a bound", function()
      local ns = H.ns("sp")
      local p = assert(ns:spawn{ "sh", "-c", "read x; echo $x; exec sleep 100", stdin = "pipe" })
      finally(function() p:close() end)
      -- nothing to read, not ended: {} after the timeout
      assert.are.same({}, vnet.poll({ p.fd, p.stdout_fd }, 0.05))
      p:write("hi\n")
      assert.are.same({ p.stdout_fd }, vnet.poll({ p.fd, p.stdout_fd }, 10))
      assert.are.equal("hi\n", p:read())
      p:kill()
      assert.are.same({ p.fd }, vnet.poll({ p.fd }, 10))
      assert.are.same({ false, 15, "signal" }, { p:wait(0) })
    end)
    it("fails with EBADF for a descriptor that is not open, raises on misuse", function()
      local ns = H.ns("sp")
      local p = assert(ns:spawn{ "true" })
      local fd = p.fd
      p:close()
      H.fails("EBADF", vnet.poll({ fd }, 0))
      H.raises(function() vnet.poll() end, "table expected")
      H.raises(function() vnet.poll({}) end, "poll: no fds and no timeout")
      assert.are.same({}, vnet.poll({}, 0))
      for _, bad in ipairs{ -1, 2^31, 2^63, 0.5, "0", {}, 0 / 0 } do
        H.raises(function() vnet.poll({ bad }, 0) end, "poll: fds[1] must be a descriptor")
      end
      for _, bad in ipairs{ -1, 0 / 0, math.huge, "1", true } do
        H.raises(function() vnet.poll({ 0 }, bad) end, "poll: timeout")
      end
      local many = {}
      for i = 1, 5000 do many[i] = 0 end
      H.raises(function() vnet.poll(many, 0) end, "poll: at most")
    end)
  end)

  describe("misuse raises", function()
    local ns
    setup(function() ns = H.ns("sp") end)
    it("options", function()
      H.raises(function() ns:spawn() end, "table expected")
      H.raises(function() ns:spawn{} end, "spawn: argv is empty")
      H.raises(function() ns:spawn{ "true", bogus = 1 } end, "bogus")
      H.raises(function() ns:spawn{ "tr\0ue" } end, "spawn: argv[1] contains a NUL byte")
      H.raises(function() ns:spawn{ "true", {} } end, "spawn: argv[2] must be a string")
      H.raises(function() ns:spawn{ "true", cwd = "/\0x" } end, "spawn: option 'cwd' contains a NUL byte")
      H.raises(function() ns:spawn{ "true", cwd = string.rep("a", 5000) } end, "'cwd' is longer")
      H.raises(function() ns:spawn{ "true", env = { ["A=B"] = "1" } } end, "not a variable name")
      H.raises(function() ns:spawn{ "true", env = { A = "1\0" } } end, "env.A contains a NUL byte")
      H.raises(function() ns:spawn{ "true", env = setmetatable({}, {}) } end, "plain table")
      for _, bad in ipairs{ 0, -1, 0 / 0, math.huge, 2^63, 1e10 } do
        H.raises(function() ns:spawn{ "true", timeout = bad } end, "spawn: option 'timeout'")
      end
      for _, k in ipairs{ "stdin", "stdout", "stderr" } do
        H.raises(function() ns:spawn{ "true", [k] = "bogus" } end, "spawn: option '" .. k .. "' must be")
        H.raises(function() ns:spawn{ "true", [k] = 1 } end, "spawn: option '" .. k .. "' must be a string")
        H.raises(function() ns:spawn{ "true", [k] = "pipe\0" } end, "spawn: option '" .. k .. "' must be")
      end
      H.raises(function() ns:spawn{ "true", stdin = "stdout" } end, "spawn: option 'stdin' must be")
      H.raises(function() ns:spawn{ "true", stdout = "stdout" } end, "spawn: option 'stdout' must be")
    end)
    it("options from __index are read once", function()
      local reads = 0
      local opts = setmetatable({ "echo", "x" }, { __index = function(_, k)
        reads = reads + 1
        if k == "stdout" then return "null" end
      end })
      local p = assert(ns:spawn(opts))
      assert.are.same({ true, 0, "exit" }, { p:wait(10) })
      assert.is_nil(p.stdout_fd)
      p:close()
      assert.are.equal(7, reads)   -- each of the seven keys once
    end)
    it("methods", function()
      local p = assert(ns:spawn{ "sleep", "100", stdin = "pipe" })
      finally(function() p:close() end)
      for _, bad in ipairs{ -1, 0 / 0, math.huge, 2^31 * 1e3, "1", true } do
        H.raises(function() p:wait(bad) end, "wait: timeout")
      end
      for _, bad in ipairs{ 65, -1, 2^31, 2^32 + 1, 2^63, 0.5, 0 / 0 } do
        H.raises(function() p:kill(bad) end, "kill: signal must be an integer")
      end
      H.raises(function() p:kill("NOPE") end, "kill: unknown signal name 'NOPE'")
      H.raises(function() p:kill("TERM\0") end, "kill: unknown signal name")
      H.raises(function() p:kill({}) end, "kill: signal must be a number or a name")
      H.raises(function() p:read("stdin") end, "read: stream must be")
      H.raises(function() p:read("stdout\0") end, "read: stream must be")
      for _, bad in ipairs{ 0, -1, 2^31, 2^63, 0.5 } do
        H.raises(function() p:read("stdout", bad) end, "read: max must be an integer")
      end
      H.raises(function() p:write() end, "string expected")
      H.raises(function() p:write({}) end, "string expected")
      assert.are.equal("", p:read())
      assert.are.equal(3, p:write("a\0b"))
      assert.is_true(p.running)
    end)
  end)
end)
