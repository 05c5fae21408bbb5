local H = require "spec.helper"
local vnet = H.vnet

describe("vnet.netns", function()
  teardown(H.cleanup)

  it("adds a namespace that `ip netns` sees and deletes it", function()
    local name = H.name("add")
    local ns = assert(vnet.netns.add(name))
    assert.are.equal(name, ns.name)
    assert.are.equal("/run/netns/" .. name, ns.path)
    local _, out = H.sh("ip netns list")
    assert.truthy(out:find(name, 1, true))
    -- ip runs inside it
    H.ipdo(name, "link", "show", "lo")
    assert.is_true(vnet.netns.delete(name))
    _, out = H.sh("ip netns list")
    assert.falsy(out:find(name, 1, true))
  end)

  it("list fails (not an empty list) when /run/netns cannot be read", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write([[
      package.path = "./?.lua;lua/?.lua;" .. package.path
      local vnet = require "vnet"
      local files = {}
      while true do
        local fh = io.open("/dev/null")
        if not fh then break end
        files[#files + 1] = fh
      end
      print(vnet.netns.list())
      table.remove(files):close()
      print(type(vnet.netns.list()))
    ]])
    f:close()
    local code, out, err = H.run(path, {}, "ulimit -n 32;")
    os.remove(path)
    assert.are.equal(0, code, err)
    assert.are.equal("nil\tnetns.list /run/netns: Too many open files\tEMFILE\nfunction\n", out)
  end)

  it("lists namespaces made by ip, sorted", function()
    local a, b = H.name("lz"), H.name("la")
    H.ipdo(nil, "netns", "add", a)
    H.ipdo(nil, "netns", "add", b)
    local seen, prev = {}, nil
    for n in vnet.netns.list() do
      seen[n] = true
      if prev then assert.is_true(prev < n) end
      prev = n
    end
    assert.is_true(seen[a] and seen[b])
    H.ipdo(nil, "netns", "delete", a)
    H.ipdo(nil, "netns", "delete", b)
  end)

  it("opens by name, path and pid, and compares by identity", function()
    local ns, name = H.ns("open")
    local byname = assert(vnet.netns.open(name))
    local bypath = assert(vnet.netns.open{ path = "/run/netns/" .. name })
    local bytab = assert(vnet.netns.open{ name = name })
    assert.are.equal(ns, byname)
    assert.are.equal(ns, bypath)
    assert.are.equal(ns, bytab)
    local cur = assert(vnet.netns.current())
    local self = assert(vnet.netns.open{ pid = H.pid })
    assert.are.equal(cur, self)
    assert.are_not.equal(cur, ns)
    assert.is_nil(cur.name)
    assert.truthy(tostring(ns):find(name, 1, true))
  end)

  it("opens a namespace a process lives in", function()
    local ns, name = H.ns("pid")
    -- a sleeping process inside the namespace
    local p = io.popen("exec ip netns exec " .. name .. " sh -c 'echo $$; exec sleep 30'")
    local pid = tonumber(p:read("*l"))
    local byproc = assert(vnet.netns.open{ pid = pid })
    assert.are.equal(ns, byproc)
    os.execute("kill " .. pid)
    p:close()
  end)

  it("never leaves the calling thread in another namespace", function()
    local function where()
      local _, out = H.sh("readlink /proc/" .. H.pid .. "/ns/net")
      return out
    end
    local before = where()
    local ns = H.ns("stay")
    ns:sysctl("net.ipv4.ip_forward")
    ns:exec{ "true" }
    local other = H.ns("stay")
    assert(ns:link_add{ name = "v0", kind = "veth", peer = { name = "v1", netns = other } })
    assert.are.equal(before, where())
    assert.are.equal(vnet.netns.current(), vnet.netns.open{ pid = H.pid })
  end)

  it("fails cleanly on duplicates and missing namespaces", function()
    local _, name = H.ns("dup")
    H.fails("EEXIST", vnet.netns.add(name))
    H.fails("ENOENT", vnet.netns.open(H.prefix .. "nosuch"))
    H.fails("ENOENT", vnet.netns.delete(H.prefix .. "nosuch"))
    H.fails("ENOENT", vnet.netns.open{ pid = 999999999 })
    -- a path that is not a network namespace
    local ok, msg, err = vnet.netns.open{ path = "/etc/hostname" }
    assert.is_nil(ok)
    assert.are.equal("EINVAL", err)
    assert.truthy(msg:find("not a network namespace", 1, true))
  end)

  describe("rejects bad names", function()
    local bad = { "", "a/b", "..", ".", string.rep("n", 64) }
    for _, name in ipairs(bad) do
      it(("'%s'"):format(name), function()
        H.raises(function() vnet.netns.add(name) end, "netns.add", "namespace name")
        H.raises(function() vnet.netns.open(name) end, "netns.open")
        H.raises(function() vnet.netns.delete(name) end, "netns.delete")
        -- nothing was made: no file for the name (or its first part)
        local first = name:match("^[^/]+")
        if first and first ~= "." and first ~= ".." then
          assert.is_nil(io.open("/run/netns/" .. first))
        end
      end)
    end
    it("with a NUL byte: raises, makes nothing", function()
      local base = H.name("nul")
      H.raises(function() vnet.netns.add(base .. "\0x") end, "netns.add", "NUL byte")
      H.raises(function() vnet.netns.delete(base .. "\0x") end, "netns.delete", "NUL byte")
      -- the oracle: ip sees no namespace of the name before the NUL
      for _, n in ipairs(H.netns_list()) do assert.are_not.equal(base, n) end
      assert.is_nil(io.open("/run/netns/" .. base))
      -- delete does not remove the namespace named by the part before it
      local ns = vnet.netns.add(base)
      assert(ns)
      H.raises(function() vnet.netns.delete(base .. "\0") end, "NUL byte")
      local seen = false
      for _, n in ipairs(H.netns_list()) do seen = seen or n == base end
      assert.is_true(seen)
      assert.is_true(vnet.netns.delete(base))
    end)
    it("wrong types and options", function()
      H.raises(function() vnet.netns.add(nil) end, "netns.add", "must be a string")
      H.raises(function() vnet.netns.open(42) end, "namespace name or options table")
      H.raises(function() vnet.netns.open{ nmae = "x" } end, "unknown option 'nmae'")
      H.raises(function() vnet.netns.open{ name = "a", pid = 1 } end, "exactly one")
      H.raises(function() vnet.netns.open{ pid = "1" } end, "option 'pid' must be an integer")
    end)
  end)

  it("lists the processes living in a namespace, as ip netns pids does", function()
    local ns, name = H.ns("pids")
    assert.are.same({}, ns:pids())
    -- a process left running in the namespace (as a lab's server would be)
    local ok, out = H.sh("ip netns exec " .. name .. " sleep 30 >/dev/null 2>&1 & echo $!")
    assert(ok, out)
    local pid = tonumber(out:match("%d+"))
    finally(function() os.execute("kill -9 " .. pid .. " 2>/dev/null") end)
    local oracle
    for _ = 1, 100 do   -- until ip netns exec has entered the namespace
      oracle = select(2, H.sh("ip netns pids " .. name))
      if oracle:match("%d") then break end
      H.sh("sleep 0.02")
    end
    local want = {}
    for p in oracle:gmatch("%d+") do want[#want + 1] = tonumber(p) end
    local got = ns:pids()
    table.sort(want)
    table.sort(got)
    assert.are.same(want, got)
    assert.are.equal(1, #got)
    ns:close()
    H.raises(function() ns:pids() end, "closed vnet.netns")
  end)

  it("closes handles; use after close raises", function()
    local ns = H.ns("close")
    ns:close()
    ns:close()
    assert.is_true(ns.closed)
    H.raises(function() ns:sysctl("net.ipv4.ip_forward") end, "closed vnet.netns")
    H.raises(function() ns:link("lo") end, "closed vnet.netns")
  end)

  describe("sysctl", function()
    it("reads and writes the namespace's own values", function()
      local ns, name = H.ns("sysctl")
      assert.are.equal("0", ns:sysctl("net.ipv4.ip_forward"))
      assert.is_true(ns:sysctl("net.ipv4.ip_forward", 1))
      local _, out = H.sh("ip netns exec " .. name .. " cat /proc/sys/net/ipv4/ip_forward")
      assert.are.equal("1", out:gsub("%s", ""))
      -- slash form and booleans
      assert.is_true(ns:sysctl("net/ipv6/conf/all/forwarding", true))
      assert.are.equal("1", ns:sysctl("net.ipv6.conf.all.forwarding"))
      -- the id (nsfs inode) is an integer, printed without ".0"
      assert.is_nil(tostring(ns.id):find(".", 1, true), tostring(ns.id))
      if math.type then assert.are.equal("integer", math.type(ns.id)) end
      -- an integral float is written as an integer (the kernel refuses "1024.0")
      assert.is_true(ns:sysctl("net.ipv4.tcp_min_snd_mss", 1024.0))
      assert.are.equal("1024", ns:sysctl("net.ipv4.tcp_min_snd_mss"))
      assert.is_true(ns:sysctl("net.ipv4.ip_forward", 0.0))
      assert.are.equal("0", ns:sysctl("net.ipv4.ip_forward"))
      H.fails("EINVAL", ns:sysctl("net.ipv4.ip_forward", 0.5))
      H.fails("EINVAL", ns:sysctl("net.ipv4.ip_forward", 0 / 0))
      -- the caller's namespace is untouched
      local cur = vnet.netns.current()
      assert.are.equal(io.open("/proc/sys/net/ipv6/conf/all/forwarding"):read("*l"),
                       cur:sysctl("net.ipv6.conf.all.forwarding"))
    end)
    it("fails on unknown keys and rejects bad ones", function()
      local ns = H.ns("sysctl")
      H.fails("ENOENT", ns:sysctl("net.ipv4.no_such_key"))
      H.fails("EINVAL", ns:sysctl("net.ipv4.ip_forward", "x"))
      H.raises(function() ns:sysctl("../../etc/passwd") end, "bad key")
      H.raises(function() ns:sysctl("net.ipv4.ip_forward", {}) end, "sysctl value")
    end)
    it("reaches only the namespace's net.* keys unless asked for others", function()
      local ns = H.ns("sysctl")
      local function slurp(path)
        local f = assert(io.open(path))
        local v = f:read("*l")
        f:close()
        return v
      end
      local host = slurp("/proc/sys/kernel/hostname")
      for _, key in ipairs({ "kernel.hostname", "kernel/hostname", "vm.swappiness",
                             "fs.file-max", "netfilter.x", "net", "ne.x", "dev.tty.ldisc_autoload" }) do
        H.raises(function() ns:sysctl(key) end, "sysctl", "not a net.* key", "any = true")
        H.raises(function() ns:sysctl(key, "1") end, "not a net.* key")
      end
      H.raises(function() ns:sysctl("kernel.hostname", "pwned") end, "not a net.* key")
      assert.are.equal(host, slurp("/proc/sys/kernel/hostname"))
      -- asked for: read (and written) where the kernel keeps them
      assert.are.equal(host, ns:sysctl("kernel.hostname", nil, { any = true }))
      assert.are.equal(slurp("/proc/sys/vm/swappiness"),
                       ns:sysctl("vm/swappiness", nil, { any = true }))
      assert.are.equal(slurp("/proc/sys/net/ipv4/ip_forward"),
                       ns:sysctl("net.ipv4.ip_forward", nil, { any = false }))
      H.raises(function() ns:sysctl("kernel.hostname", nil, { anyy = true }) end, "unknown option 'anyy'")
      H.raises(function() ns:sysctl("kernel.hostname", nil, { any = 1 }) end, "option 'any' must be a boolean")
      H.raises(function() ns:sysctl("kernel.hostname", nil, "any") end, "options must be a table")
    end)
    it("raises on keys that climb out, start with /, or hold NUL bytes", function()
      local ns = H.ns("sysctl")
      for _, key in ipairs({ "net/../kernel/hostname", "net.ipv4..ip_forward", "/net/ipv4/ip_forward",
                             ".net.ipv4", "net/ipv4/../../kernel/hostname", "", string.rep("n", 401) }) do
        H.raises(function() ns:sysctl(key, nil, { any = true }) end, "sysctl: bad key")
      end
      H.raises(function() ns:sysctl("net.ipv4.ip_forward\0/../../../etc/x") end, "sysctl: key contains a NUL byte")
      H.raises(function() ns:sysctl("net.ipv4.ip_forward", "1\0garbage") end, "sysctl: value contains a NUL byte")
      assert.are.equal("0", ns:sysctl("net.ipv4.ip_forward"))
    end)
  end)

  describe("exec", function()
    it("runs argv inside the namespace and captures output", function()
      local ns, name = H.ns("exec")
      local ok, out, err, code, how = ns:exec{ "ip", "-j", "netns", "identify" }
      assert.is_true(ok)
      assert.are.equal(name, out:gsub("%s+$", ""))
      assert.are.equal("", err)
      assert.are.equal(0, code)
      assert.are.equal("exit", how)
      -- sees its own links, not the host's
      ok, out = ns:exec{ "cat", "/proc/net/dev" }
      assert.is_true(ok)
      assert.falsy(out:find("eth0", 1, true))
      assert.truthy(out:find("lo:", 1, true))
    end)
    it("reports exit codes, signals, stderr; never uses a shell", function()
      local ns = H.ns("exec")
      local ok, out, err, code = ns:exec{ "sh", "-c", "echo out; echo err >&2; exit 3" }
      assert.is_false(ok)
      assert.are.equal("out\n", out)
      assert.are.equal("err\n", err)
      assert.are.equal(3, code)
      local _, _, _, sig, how = ns:exec{ "sh", "-c", "kill -TERM $$" }
      assert.are.equal("signal", how)
      assert.are.equal(15, sig)
      ok, out = ns:exec{ "echo", "$HOME;", "`id`" }
      assert.is_true(ok)
      assert.are.equal("$HOME; `id`\n", out)
    end)
    it("passes stdin, env, cwd", function()
      local ns = H.ns("exec")
      local ok, out = ns:exec{ "cat", stdin = "hello\n" }
      assert.is_true(ok)
      assert.are.equal("hello\n", out)
      local big = string.rep("x", 1048576)
      ok, out = ns:exec{ "cat", stdin = big }
      assert.are.equal(#big, #out)
      ok, out = ns:exec{ "sh", "-c", "echo $VNET_A-$HOME", env = { VNET_A = "a", HOME = false } }
      assert.are.equal("a-\n", out)
      ok, out = ns:exec{ "env", clearenv = true, env = { ONLY = "1" } }
      assert.are.equal("ONLY=1\n", out)
      ok, out = ns:exec{ "pwd", cwd = "/tmp" }
      assert.are.equal("/tmp\n", out)
    end)
    it("fails when the program cannot start; raises on misuse", function()
      local ns = H.ns("exec")
      H.fails("ENOENT", ns:exec{ "/nonexistent/prog" })
      H.fails("ENOENT", ns:exec{ "true", cwd = "/nonexistent" })
      H.raises(function() ns:exec{} end, "argv is empty")
      H.raises(function() ns:exec{ "true", cwdd = "/" } end, "unknown option 'cwdd'")
      H.raises(function() ns:exec{ "true", {} } end, "argv[2] must be a string")
      H.raises(function() ns:exec{ "true", env = "x" } end, "option 'env' must be a table")
      H.raises(function() ns:exec{ "true", env = { A = {} } } end, "env.A")
    end)
    it("can let output through uncaptured", function()
      local ns = H.ns("exec")
      local ok, out, err = ns:exec{ "true", capture = false }
      assert.is_true(ok)
      assert.is_nil(out)
      assert.is_nil(err)
    end)
  end)
end)
