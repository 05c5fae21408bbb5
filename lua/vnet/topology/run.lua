--- vnet.topology, run time: impairments, failed cables, commands, processes and events.
-- (`require "vnet.topology"` loads every part.)
-- @module vnet.topology
local B = require "vnet.topology.base"
local T, check_keys, fmt, home, imp_opts, impair = B.T, B.check_keys, B.fmt, B.home, B.imp_opts, B.impair
local is_wire, vnet = B.is_wire, B.vnet
-- ---- run time: impairments, failures ------------------------------------


-- the cable (or tunnel) between x and y, and its ends as x's and y's; or
-- the cable (tunnel) x itself (as net:link returned it), ends a and b
function T:_wire(x, y, fn)
  if is_wire(self, x) then return x, x.a, x.b end
  x, y = self:_node(x, fn, "x"), self:_node(y, fn, "y")
  for _, list in ipairs({ self.cables, self.tunnels }) do
    for _, c in ipairs(list) do
      if c.a.node == x and c.b.node == y then return c, c.a, c.b end
      if c.b.node == x and c.a.node == y then return c, c.b, c.a end
    end
  end
  error(fmt("%s: no cable or tunnel between %s and %s", fn, x.name, y.name), 3)
end

local function ep_link(self, e)
  local h, msg, err = self:_open(e.ns)
  if not h then return nil, msg, err end
  return h:link(e.dev)
end

--- net:impair(x, y, opts | false) -> true | nil, msg, errname
-- Changes the impairment of the cable (or tunnel) between x and y at run
-- time, in place: opts as the cable's ({ delay =, loss =, rate =, ... } for
-- both directions, [x] = { ... } for x's egress); false clears both. The
-- script's model follows, so `status` agrees afterwards.
function T:impair(x, y, opts)
  if is_wire(self, x) then opts = y end
  local c, ex, ey = self:_wire(x, y, "impair")
  local what = fmt("impair %s -- %s", ex.node.name, ey.node.name)
  local ix, iy
  if opts ~= false then
    if type(opts) ~= "table" then error(what .. ": options must be a table or false", 2) end
    local rest, sx, sy = {}, nil, nil
    for k, v in pairs(opts) do
      if k == ex.node or k == ex.node.name then sx = v
      elseif k == ey.node or k == ey.node.name then sy = v
      elseif impair.KEYS[k] then rest[k] = v
      else error(fmt("%s: unknown option or node '%s'", what, tostring(k)), 2) end
    end
    for _, v in ipairs({ sx or {}, sy or {} }) do
      if type(v) ~= "table" then error(what .. ": an end's options must be a table", 2) end
      for k in pairs(v) do
        if not impair.KEYS[k] then error(fmt("%s: unknown option '%s'", what, tostring(k)), 2) end
      end
    end
    ix, iy = imp_opts(sx, what, rest), imp_opts(sy, what, rest)
  end
  local done = {}
  for _, p in ipairs({ { ex, ix }, { ey, iy } }) do
    local e, want = p[1], p[2]
    local l, msg, err = ep_link(self, e)
    local old = l and l:impairment()
    local ok
    if l then ok, msg, err = l:impair(want or false) end
    if not ok then
      for _, d in ipairs(done) do pcall(d[1].impair, d[1], next(d[2]) and d[2] or false) end
      return nil, fmt("%s: %s", what, tostring(msg)), err
    end
    done[#done + 1] = { l, old or {} }
  end
  ex.imp, ey.imp = ix, iy
  self._plan = nil
  return true
end

-- sets both ends of the cable between x and y up or down
function T:_cable_set(x, y, up, fn)
  local c, ex, ey = self:_wire(x, y, fn)
  if c.kind ~= "cable" then error(fn .. ": only cables (veth pairs) can be failed", 3) end
  for _, e in ipairs({ ex, ey }) do
    local l, msg, err = ep_link(self, e)
    local ok
    if l then ok, msg, err = l:set{ up = up } end
    if not ok then return nil, fmt("%s %s -- %s: %s", fn, ex.node.name, ey.node.name, tostring(msg)), err end
  end
  return true
end

--- net:cable_down(x, y) -> true | nil, msg, errname: fails the cable (both
-- ends down, so both lose the carrier); net:cable_up(x, y) brings it back.
function T:cable_down(x, y) return self:_cable_set(x, y, false, "cable_down") end
--- net:cable_up(x, y) -> true | nil, msg, errname: brings the cable back (both
-- ends up, then what the kernel dropped with them is put back as `up` does)
function T:cable_up(x, y)
  local ok, msg, err = self:_cable_set(x, y, true, "cable_up")
  if not ok then return nil, msg, err end
  -- the kernel dropped the routes (and IPv6 addresses) of the downed
  -- devices: put back whatever of the script is missing
  local r
  r, msg, err = self:up()
  if not r then return nil, msg, err end
  return true
end

-- ---- checks --------------------------------------------------------------

--- net:addr(node [, family]) -> the node's first address ("10.0.1.2") or nil
function T:addr(node, family)
  node = self:_node(node, "addr")
  self:_compile()
  local a = self._first_addr(node, family)
  return a and a.ip
end

local EXEC_KEYS = { env = true, cwd = true, stdin = true, capture = true, clearenv = true,
                    timeout = true }

--- net:exec(node, argv [, opts]) -> ok, stdout, stderr, code, how
function T:exec(node, argv, opts)
  node = home(self:_node(node, "exec"))
  if type(argv) ~= "table" or #argv == 0 then error("exec: argv must be a non-empty list", 2) end
  opts = check_keys(opts, EXEC_KEYS, "exec")
  local h, msg, err = self:_open(node)
  if not h then return nil, msg, err end
  local t = {}
  for i, a in ipairs(argv) do t[i] = a end
  for k, v in pairs(opts) do t[k] = v end
  return h:exec(t)
end

-- ---- processes and events -------------------------------------------------

local SPAWN_KEYS = { stdin = true, stdout = true, stderr = true, env = true, cwd = true,
                     clearenv = true, timeout = true }

--- net:spawn(node, argv [, opts]) -> a vnet.process | nil, msg, errname.
-- As ns:spawn in node's namespace; the topology keeps it and ends it (the
-- program and its process group, killed and reaped) at down.
function T:spawn(node, argv, opts)
  node = home(self:_node(node, "spawn"))
  if type(argv) ~= "table" or #argv == 0 then error("spawn: argv must be a non-empty list", 2) end
  opts = check_keys(opts, SPAWN_KEYS, "spawn")
  local h, msg, err = self:_open(node)
  if not h then return nil, msg, err end
  local t, copy_ = {}, {}
  for i, a in ipairs(argv) do t[i] = a; copy_[i] = a end
  for k, v in pairs(opts) do t[k] = v end
  local p
  p, msg, err = h:spawn(t)
  if not p then return nil, msg, err end
  self._procs = self._procs or {}
  self._procs[#self._procs + 1] = { node = node.name, argv = copy_, process = p }
  return p
end

--- net:processes() -> list of { node =, argv =, pid =, state =, process = }
-- for what net:spawn started since the last down (state: "running",
-- "exited", "killed", "timeout" or "closed").
function T:processes()
  local out = {}
  for _, e in ipairs(self._procs or {}) do
    local p = e.process
    out[#out + 1] = { node = e.node, argv = e.argv, process = p,
                      pid = not p.closed and p.pid or nil, state = p.closed and "closed" or p.state }
  end
  return out
end

-- ends every process net:spawn started (close kills and reaps)
function T:_end_processes()
  for _, e in ipairs(self._procs or {}) do pcall(e.process.close, e.process) end
  self._procs = {}
end

-- A monitor of every namespace of a topology: one vnet.monitor per
-- namespace (node order), their fds listed in `fds` for an event loop to
-- poll (vnet.poll(mon.fds, t) in plain Lua); read() takes the next event of
-- any of them without blocking (in turns, so that no namespace starves),
-- with ev.node the name of the node whose namespace it happened in.
local TM = {}
TM.__index = TM

--- mon:read() -> the next event of any of the namespaces (ev.node: the
-- node's name), or nil at once when none is queued | nil, msg, errname
function TM:read()
  local list = self.list
  if not list then error("attempt to use a closed topology monitor", 2) end
  for k = 0, #list - 1 do
    local i = (self.turn + k - 1) % #list + 1
    local ev, msg, err = list[i].monitor:read()
    if ev then
      self.turn = i % #list + 1
      ev.node = list[i].node
      return ev
    elseif msg then
      return nil, list[i].node .. ": " .. tostring(msg), err
    end
  end
  return nil
end

--- mon:wait([timeout]) -> the next event | nil, "timeout", "ETIMEDOUT"
-- (timeout in seconds, default 5) | nil, msg, errname
function TM:wait(timeout)
  if timeout ~= nil and type(timeout) ~= "number" then
    error("wait: timeout must be a number of seconds, got " .. type(timeout), 2)
  end
  timeout = timeout or 5
  if not (timeout >= 0 and timeout <= 2147483) then
    error("wait: timeout must be between 0 and 2147483 seconds, got " .. tostring(timeout), 2)
  end
  -- a datagram that carries no event (another kind) sends the loop round
  -- again: bounded by a coarse deadline as well
  local deadline = os.time() + math.ceil(timeout) + 1
  while true do
    local ev, msg, err = self:read()
    if ev or msg then return ev, msg, err end
    local ready, pmsg, perr = vnet.poll(self.fds, timeout)
    if not ready then return nil, pmsg, perr end
    if #ready == 0 or os.time() > deadline then return nil, "timeout", "ETIMEDOUT" end
  end
end

--- mon:events([timeout]) -> iterator over events; ends when none comes
-- within timeout seconds (default 0: the events queued now)
function TM:events(timeout)
  return function()
    local ev, msg = self:wait(timeout or 0)
    if not ev and msg ~= "timeout" then error("events: " .. tostring(msg), 2) end
    return ev
  end
end

--- mon:close(): closes the monitors (also `__close` and the collector)
function TM:close()
  for _, e in ipairs(self.list or {}) do e.monitor:close() end
  self.list = nil
end
TM.__close = TM.close
TM.__gc = TM.close

--- net:monitor([groups]) -> topology monitor | nil, msg, errname.
-- groups as ns:monitor's ({ "link", "addr", ... }, default all), for every
-- namespace the topology makes or uses (hosts, routers, the switches'
-- fabric, externals).
function T:monitor(groups)
  local list, fds, seen = {}, {}, {}
  local nodes = {}
  for _, n in ipairs(self.nodes) do nodes[#nodes + 1] = home(n) end
  for _, n in ipairs(nodes) do
    if n and not seen[n] then
      seen[n] = true
      local h, msg, err = self:_open(n)
      local m
      if h then m, msg, err = h:monitor(groups) end
      if not m then
        for _, e in ipairs(list) do e.monitor:close() end
        return nil, fmt("monitor %s: %s: %s", self.name, n.name, tostring(msg)), err
      end
      list[#list + 1] = { node = n.name, monitor = m }
      fds[#fds + 1] = m.fd
    end
  end
  return setmetatable({ list = list, fds = fds, turn = 1 }, TM)
end

