-- ns:exec as a library must run it: the caller never dies of SIGPIPE and
-- keeps its signal state, a host that reaps children (or ignores SIGCHLD)
-- cannot take vnet's, a program never hangs the caller past its timeout nor
-- because a background process holds its output, nothing of the caller
-- leaks into it, and options are read safely (NUL bytes, __index).
local H = require "spec.helper"
local vnet = H.vnet

local run = H.run_src

local procs_with = H.procs_with

local my_children = H.children

local function kill_all(marker)
  for _, p in ipairs(procs_with(marker)) do os.execute("kill -9 " .. p .. " 2>/dev/null") end
end

describe("ns:exec", function()
  teardown(H.cleanup)

  describe("SIGPIPE", function()
    -- prints the caller's signal masks before and after programs that
    -- close their stdin unread, then "alive"
    local src = [[
      local vnet = require "vnet"
      local function masks()
        local t = {}
        for l in io.lines("/proc/self/status") do
          if l:match("^Sig[^Q]") or l:match("^ShdPnd") then t[#t + 1] = l end
        end
        return table.concat(t, " ")
      end
      local ns = vnet.netns.current()
      local before = masks()
      for i = 1, 20 do
        local data = i % 2 == 0 and "0123456789" or string.rep("0123456789", 200000)
        local ok, _, _, code = ns:exec{ "sh", "-c", "exec 0<&-; exit 0", stdin = data }
        assert(ok and code == 0, "exec failed")
      end
      local after = masks()
      print(before == after and "same" or ("before: " .. before .. "\nafter:  " .. after))
      print("alive")
    ]]
    it("a program that does not read its stdin does not kill the caller", function()
      local code, out, err = run(src)
      assert.are.equal(0, code, "the caller died (status " .. tostring(code) .. "): " .. err)
      assert.are.equal("same\nalive\n", out)
    end)
    it("leaves the host's signal mask, dispositions and pending signals as they were", function()
      -- SIGPIPE ignored by the host (as nginx does), then blocked by the host
      local code, out, err = run(src, "perl -e '$SIG{PIPE} = \"IGNORE\"; exec @ARGV or exit 99' env")
      assert.are.equal(0, code, err)
      assert.are.equal("same\nalive\n", out)
      code, out, err = run(src, "perl -MPOSIX -e 'sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGPIPE)); exec @ARGV or exit 99' env")
      assert.are.equal(0, code, err)
      assert.are.equal("same\nalive\n", out)
    end)
  end)

  describe("reaping", function()
    it("gets exit codes and signals right when the host ignores SIGCHLD", function()
      -- with SIGCHLD ignored the kernel reaps ordinary children itself,
      -- before a waitpid for them: their status would be lost
      local code, out, err = run([[
        local ns = require "vnet".netns.current()
        local bad = 0
        for _ = 1, 100 do
          local ok, _, _, c, how = ns:exec{ "false" }
          if ok ~= false or c ~= 1 or how ~= "exit" then bad = bad + 1 end
          ok, _, _, c, how = ns:exec{ "sh", "-c", "kill -9 $$" }
          if ok ~= false or c ~= 9 or how ~= "signal" then bad = bad + 1 end
          ok, _, _, c, how = ns:exec{ "sh", "-c", "exit 7" }
          if ok ~= false or c ~= 7 or how ~= "exit" then bad = bad + 1 end
        end
        print("wrong " .. bad)
      ]], "perl -e '$SIG{CHLD} = \"IGNORE\"; exec @ARGV or exit 99' env")
      assert.are.equal(0, code, err)
      assert.are.equal("wrong 0\n", out)
    end)
    local it_cc = H.it_cc
    it_cc("gets them right when the host reaps children with waitpid(-1) on SIGCHLD", function()
      -- the way nginx does: a preloaded library installs such a handler in
      -- the child Lua process, and counts what it reaped
      local preload, so = H.reaper()
      finally(function() os.remove(so) end)
      local code, res, err = run([[
        local ns = require "vnet".netns.current()
        local bad = 0
        for _ = 1, 100 do
          local ok, _, _, c, how = ns:exec{ "false" }
          if ok ~= false or c ~= 1 or how ~= "exit" then bad = bad + 1 end
          ok, _, _, c, how = ns:exec{ "sh", "-c", "kill -9 $$" }
          if ok ~= false or c ~= 9 or how ~= "signal" then bad = bad + 1 end
          ok, _, _, c, how = ns:exec{ "sh", "-c", "exit 7", stdin = "x" }
          if ok ~= false or c ~= 7 or how ~= "exit" then bad = bad + 1 end
        end
        print("wrong " .. bad)
      ]], preload)
      assert.are.equal(0, code, err)
      assert.are.equal("wrong 0\n", res)
      -- and the host's handler never saw one of vnet's processes
      assert.truthy(err:find("reaped 0", 1, true), err)
    end)
    it("leaves no child and no zombie behind", function()
      local ns = H.ns("exec")
      local before = my_children()
      for _ = 1, 20 do
        ns:exec{ "true" }
        ns:exec{ "sh", "-c", "kill -9 $$" }
        ns:exec{ "/nonexistent" }
        ns:exec{ "true", cwd = "/nonexistent" }
      end
      assert.are.same(before, my_children())
    end)
  end)

  describe("timeout", function()
    it("kills the program's whole process group and says so", function()
      local ns = H.ns("exec")
      local marker = "977." .. H.pid
      finally(function() kill_all(marker) end)
      local t0 = os.time()
      local ok, out, err, code, how = ns:exec{ "sh", "-c",
        "sleep " .. marker .. " & echo started; sleep " .. marker, timeout = 0.5 }
      assert.is_true(os.time() - t0 <= 3)
      assert.is_false(ok)
      assert.are.equal("started\n", out)
      assert.are.equal("", err)
      assert.are.equal(9, code)
      assert.are.equal("timeout", how)
      -- the background sleep was in the group too: nothing is left
      local left
      for _ = 1, 50 do
        left = procs_with(marker)
        if #left == 0 then break end
        H.sh("sleep 0.05")
      end
      assert.are.same({}, left)
      assert.are.same({}, my_children())
    end)
    it("does not touch a program that ends in time", function()
      local ns = H.ns("exec")
      local ok, out, _, code, how = ns:exec{ "sh", "-c", "sleep 0.1; echo done", timeout = 10 }
      assert.is_true(ok)
      assert.are.equal("done\n", out)
      assert.are.equal(0, code)
      assert.are.equal("exit", how)
      ok, _, _, code, how = ns:exec{ "sh", "-c", "exit 3", timeout = 1e9 }
      assert.is_false(ok)
      assert.are.equal(3, code)
      assert.are.equal("exit", how)
      -- also with nothing captured and stdin fed
      ok, _, _, _, how = ns:exec{ "cat", stdin = "x", capture = false, timeout = 0.3 }
      assert.is_true(ok)
      assert.are.equal("exit", how)
    end)
    it("rejects what is not a positive number of seconds", function()
      local ns = H.ns("exec")
      for _, bad in ipairs({ 0, -1, 0 / 0, math.huge, -math.huge, 2^63, 1e10 }) do
        H.raises(function() ns:exec{ "true", timeout = bad } end, "exec", "'timeout'")
      end
      H.raises(function() ns:exec{ "true", timeout = "1" } end, "'timeout' must be a number")
      H.raises(function() ns:exec{ "true", timeout = true } end, "'timeout' must be a number")
    end)
  end)

  it("returns when the program exits, though a background process holds its output", function()
    local ns = H.ns("exec")
    local marker = "978." .. H.pid
    finally(function() kill_all(marker) end)
    local t0 = os.time()
    local ok, out, err, code = ns:exec{ "sh", "-c", "sleep " .. marker .. " & echo hi; echo e >&2" }
    assert.is_true(os.time() - t0 <= 3, "exec waited for the background process")
    assert.is_true(ok)
    assert.are.equal("hi\n", out)
    assert.are.equal("e\n", err)
    assert.are.equal(0, code)
    -- the background process itself is the program's business
    assert.are.equal(1, #procs_with(marker))
  end)

  it("gives the program only stdin, stdout and stderr", function()
    local ns = H.ns("exec")
    local path = os.tmpname()
    local f = assert(io.open(path))   -- not close-on-exec
    finally(function() f:close(); os.remove(path) end)
    local ok, out = ns:exec{ "ls", "-l", "/proc/self/fd" }
    assert.is_true(ok)
    assert.falsy(out:find(path, 1, true), out)
    local fds = {}
    for fd in out:gmatch(" (%d+) %-> ") do fds[#fds + 1] = tonumber(fd) end
    table.sort(fds)
    -- 0, 1, 2 and the directory ls reads
    assert.are.same({ 0, 1, 2, 3 }, fds)
    ok, out = ns:exec{ "ls", "-l", "/proc/self/fd", capture = true, stdin = "" }
    assert.falsy(out:find(path, 1, true), out)
  end)

  describe("finds programs", function()
    it("in a default PATH when the caller has none", function()
      -- sysctl lives in /usr/sbin only: not in glibc's own default path
      local code, out, err = run([[
        local ns = require "vnet".netns.current()
        assert(os.getenv("PATH") == nil, "PATH is set")
        local ok, o, e = ns:exec{ "sysctl", "-n", "kernel.ostype" }
        print(ok, o, e)
      ]], "env -u PATH")
      assert.are.equal(0, code, err)
      assert.are.equal("true\tLinux\n\t\n", out)
    end)
    it("in a default PATH when the program's environment has none", function()
      local ns = H.ns("exec")
      local ok, out = ns:exec{ "sysctl", "-n", "kernel.ostype", clearenv = true }
      assert.is_true(ok)
      assert.are.equal("Linux\n", out)
      -- and in the program's own PATH when it is given one
      H.fails("ENOENT", ns:exec{ "sysctl", "-n", "kernel.ostype", env = { PATH = "/nonexistent" } })
    end)
    it("runs a script without #! with /bin/sh, as execvp does", function()
      local ns = H.ns("exec")
      local path = os.tmpname()
      local f = assert(io.open(path, "w"))
      f:write("echo from-script\n")
      f:close()
      finally(function() os.remove(path) end)
      os.execute("chmod +x " .. path)
      local ok, out = ns:exec{ path }
      assert.is_true(ok)
      assert.are.equal("from-script\n", out)
    end)
  end)

  describe("start failures", function()
    it("name a missing cwd, not the program", function()
      local ns = H.ns("exec")
      local ok, msg, err = ns:exec{ "true", cwd = "/nope" }
      assert.is_nil(ok)
      assert.are.equal("exec: cwd '/nope': No such file or directory", msg)
      assert.are.equal("ENOENT", err)
      ok, msg, err = ns:exec{ "/nope/prog" }
      assert.is_nil(ok)
      assert.are.equal("exec /nope/prog: No such file or directory", msg)
      assert.are.equal("ENOENT", err)
      local path = os.tmpname()   -- mode 0600: not executable
      finally(function() os.remove(path) end)
      H.fails("EACCES", ns:exec{ path })
    end)
    it("report EMFILE when the caller has no descriptor left", function()
      local code, out, err = run([[
        local vnet = require "vnet"
        local ns = vnet.netns.current()
        local files = {}
        while true do
          local f = io.open("/dev/null")
          if not f then break end
          files[#files + 1] = f
        end
        print(select(3, ns:exec{ "true" }))
        print(select(3, ns:exec{ "true", capture = false }))
        for _ = 1, 10 do table.remove(files):close() end
        print(ns:exec{ "true" })
      ]], "ulimit -n 64;")
      assert.are.equal(0, code, err)
      assert.are.equal("EMFILE\nEMFILE\ntrue\t\t\t0\texit\n", out)
    end)
  end)

  describe("options", function()
    it("raise on NUL bytes, naming the field", function()
      local ns = H.ns("exec")
      H.raises(function() ns:exec{ "echo", "a\0b" } end, "exec: argv[2] contains a NUL byte")
      H.raises(function() ns:exec{ "tr\0ue" } end, "exec: argv[1] contains a NUL byte")
      H.raises(function() ns:exec{ "true", cwd = "/tmp\0/x" } end, "exec: option 'cwd' contains a NUL byte")
      H.raises(function() ns:exec{ "true", env = { A = "x\0y" } } end, "exec: env.A contains a NUL byte")
      H.raises(function() ns:exec{ "true", env = { ["A\0B"] = "x" } } end, "exec: env key", "NUL byte")
      H.raises(function() ns:exec{ "true", env = { [""] = "x" } } end, "exec: env key '' is not a variable name")
      H.raises(function() ns:exec{ "true", env = { ["A=B"] = "x" } } end, "is not a variable name")
      H.raises(function() ns:exec{ "true", env = { [1] = "x" } } end, "env keys must be variable names")
      -- a proxy's variables (from __index) would be dropped by the raw read
      H.raises(function()
        ns:exec{ "sh", "-c", "echo $ZZ", env = setmetatable({}, { __index = { ZZ = "1" } }) }
      end, "exec: option 'env' must be a plain table")
      H.raises(function() ns:exec{ "true", cwd = string.rep("d", 5000) } end, "'cwd' is longer than")
      H.raises(function() ns:exec{ "true", capture = 1 } end, "'capture' must be a boolean")
      H.raises(function() ns:exec{ "true", clearenv = "yes" } end, "'clearenv' must be a boolean")
      H.raises(function() ns:exec{ "true", stdin = 5 } end, "'stdin' must be a string")
      -- stdin is bytes: NUL bytes go through
      local ok, out = ns:exec{ "od", "-An", "-c", stdin = "a\0b" }
      assert.is_true(ok)
      assert.are.equal("a  \\0   b", out:gsub("^%s+", ""):gsub("%s+$", ""))
    end)
    it("read from __index stay valid while __index runs the collector", function()
      local ns = H.ns("exec")
      -- a long name (never interned): the string __index returns has no
      -- other reference, and later __index calls collect and reuse memory
      local dir = "/tmp/vnet-exec-spec-cwd-given-by-an-index-metamethod-" .. H.pid
      os.execute("mkdir -p " .. dir)
      finally(function() os.execute("rmdir " .. dir) end)
      local parts = { dir:sub(1, 10), dir:sub(11) }
      local opts = setmetatable({ "pwd" }, { __index = function(_, k)
        local v
        if k == "cwd" then v = parts[1] .. parts[2]
        elseif k == "env" then v = { VNET_X = parts[2] .. "-env" }
        elseif k == "stdin" then v = parts[1] .. "-stdin" end
        collectgarbage()
        local junk = {}
        for i = 1, 200 do junk[i] = ("%0" .. #dir .. "d"):format(i) end
        return v
      end })
      for _ = 1, 5 do
        local ok, out = ns:exec(opts)
        assert.is_true(ok, out)
        assert.are.equal(dir .. "\n", out)
      end
      opts[1], opts[2], opts[3] = "sh", "-c", 'printf "%s|" "$VNET_X"; cat'
      local ok, out = ns:exec(opts)
      assert.is_true(ok)
      assert.are.equal(parts[2] .. "-env|" .. parts[1] .. "-stdin", out)
    end)
  end)
end)
