-- gen_ip.lua - the iproute2 peers of the vnet benchmarks.
--
-- Generates, for each workload, either a shell script with one `ip` per step
-- ("sh") or `ip -batch` input ("batch"), with the same names and addresses as
-- bench/raw.c.  Used by bench/harness.lua; runnable alone to look at them:
--
--   lua5.4 bench/gen_ip.lua sh|batch WORKLOAD ARGS...
--
-- Single-namespace workloads are run by the harness inside the namespace:
--   sh:    ip netns exec NS sh FILE          (plain `ip` per line, no -n:
--                                            `ip -n` costs a mount namespace
--                                            per command, ~20 ms here)
--   batch: ip -n NS -batch FILE
-- The star (workload 2) spans namespaces, so its files are complete
-- scripts run from the caller's namespace (see star_up below).

local M = {}
local fmt = string.format

local function prefix(i)
  return fmt("%d.%d.%d.0/24", 11 + (i >> 16), (i >> 8) & 255, i & 255)
end
M.prefix = prefix

-- ip commands without the leading "ip", one list per workload
local cmds = {}

function cmds.veth(n)
  local t = {}
  for i = 0, n - 1 do
    t[#t + 1] = fmt("link add va%d type veth peer name vb%d", i, i)
    t[#t + 1] = fmt("link set va%d up", i)
    t[#t + 1] = fmt("link set vb%d up", i)
    t[#t + 1] = fmt("addr add 10.%d.%d.1/24 dev va%d", (i >> 8) & 255, i & 255, i)
  end
  return t
end

function cmds.routes_add(n, table_, dev)
  local t = {}
  for i = 0, n - 1 do t[i + 1] = fmt("route add %s dev %s table %d", prefix(i), dev, table_) end
  return t
end

function cmds.routes_del(n, table_, dev)
  local t = {}
  for i = 0, n - 1 do t[i + 1] = fmt("route del %s dev %s table %d", prefix(i), dev, table_) end
  return t
end

function cmds.dump(table_) return { fmt("route show table %d", table_) } end

function cmds.links() return { "addr show" } end

function cmds.lookup(k, n)
  local t = {}
  for i = 0, k - 1 do t[i + 1] = fmt("link show dev d%d", (i * 7919) % n) end
  return t
end

function cmds.route_get(n)
  local t = {}
  for i = 0, n - 1 do
    local v = i + 2
    t[i + 1] = fmt("route get 10.%d.%d.%d", (v >> 16) & 255, (v >> 8) & 255, v & 255)
  end
  return t
end

-- Star bring-up, as a complete shell script run from the caller's namespace
-- (node namespaces must be bind-mounted in the caller's mount namespace, so
-- this one cannot run under `ip netns exec`).
--   sh:    one `ip` per step; steps in another namespace use `ip -n`.
--   batch: `ip -batch` cannot switch namespace per line, so: one batch for the
--          namespaces, one in the hub for the bridge and the veths (peer made
--          in the node), then one small batch per node for address + up.
local function star_up(mode, hub, pfx, n)
  local t = { "set -e" }
  local function node_addr(i) return fmt("10.200.%d.%d/16", (i >> 8) & 255, i & 255) end
  if mode == "sh" then
    t[#t + 1] = fmt("ip -n %s link add br0 type bridge", hub)
    t[#t + 1] = fmt("ip -n %s link set br0 up", hub)
    for i = 1, n do
      local node = pfx .. i
      t[#t + 1] = fmt("ip netns add %s", node)
      t[#t + 1] = fmt("ip -n %s link add h%d type veth peer name eth0 netns %s", hub, i, node)
      t[#t + 1] = fmt("ip -n %s link set h%d master br0 up", hub, i)
      t[#t + 1] = fmt("ip -n %s addr add %s dev eth0", node, node_addr(i))
      t[#t + 1] = fmt("ip -n %s link set eth0 up", node)
    end
  else
    t[#t + 1] = "ip -batch - <<'EOF'"
    for i = 1, n do t[#t + 1] = fmt("netns add %s%d", pfx, i) end
    t[#t + 1] = "EOF"
    t[#t + 1] = fmt("ip -n %s -batch - <<'EOF'", hub)
    t[#t + 1] = "link add br0 type bridge"
    t[#t + 1] = "link set br0 up"
    for i = 1, n do
      t[#t + 1] = fmt("link add h%d type veth peer name eth0 netns %s%d", i, pfx, i)
      t[#t + 1] = fmt("link set h%d master br0 up", i)
    end
    t[#t + 1] = "EOF"
    for i = 1, n do
      t[#t + 1] = fmt("printf 'addr add %s dev eth0\\nlink set eth0 up\\n' | ip -n %s%d -batch -",
                      node_addr(i), pfx, i)
    end
  end
  return t
end

local function star_down(mode, hub, pfx, n)
  local t = { "set -e" }
  if mode == "sh" then
    for i = 1, n do t[#t + 1] = fmt("ip netns del %s%d", pfx, i) end
  else
    t[#t + 1] = "ip -batch - <<'EOF'"
    for i = 1, n do t[#t + 1] = fmt("netns del %s%d", pfx, i) end
    t[#t + 1] = "EOF"
  end
  t[#t + 1] = fmt("ip -n %s link del br0", hub)
  return t
end

-- M.generate(mode, workload, args...) -> text
--   workload: veth N | star_up HUB PREFIX N | star_down HUB PREFIX N |
--             routes_add N TABLE DEV | routes_del N TABLE DEV | dump TABLE |
--             links | lookup K N | route_get N
function M.generate(mode, w, ...)
  assert(mode == "sh" or mode == "batch", "mode must be sh or batch")
  local lines
  if w == "star_up" then
    lines = star_up(mode, ...)
  elseif w == "star_down" then
    lines = star_down(mode, ...)
  else
    local f = assert(cmds[w], "unknown workload " .. tostring(w))
    lines = f(...)
    if mode == "sh" then
      for i, l in ipairs(lines) do lines[i] = "ip " .. l end
      table.insert(lines, 1, "set -e")
    end
  end
  lines[#lines + 1] = ""
  return table.concat(lines, "\n")
end

function M.write(path, mode, w, ...)
  local f = assert(io.open(path, "w"))
  f:write(M.generate(mode, w, ...))
  f:close()
  return path
end

if arg and arg[0] and arg[0]:match("gen_ip%.lua$") then
  -- command line: convert numeric arguments
  local a = {}
  for i = 3, #arg do a[#a + 1] = tonumber(arg[i]) or arg[i] end
  if not arg[2] then
    io.stderr:write("usage: lua5.4 bench/gen_ip.lua sh|batch WORKLOAD ARGS...\n")
    os.exit(2)
  end
  io.write(M.generate(arg[1], arg[2], table.unpack(a)))
end

return M
