--- vnet.topology, the command line.
-- (`require "vnet.topology"` loads every part.)
-- @module vnet.topology
local B = require "vnet.topology.base"
local T, fmt, unpack = B.T, B.fmt, B.unpack
-- ---- command line --------------------------------------------------------

local USAGE = [[
usage: %s COMMAND
  up, apply              make the kernel match the script (one transaction):
                         create what is missing, change what differs, remove
                         what the script no longer names
  plan [--json]          print what up would change; exit 0 when nothing,
                         2 when something would
  down                   remove everything this topology made
  status [--json]        show each object: present, missing or different
  dot                    print the topology as Graphviz DOT
  reach                  ping every pair of hosts and print the matrix
  ping X Y               ping from node X to node Y (or an address)
  exec NODE CMD [ARG..]  run a command inside NODE's namespace
  ... --machine NAME     of a lab across machines, this machine's slice
                         (default: the machine whose underlay address is here)
]]

--- net:main(arg [, commands]) -> exits the process with 0 (ok), 1 (failure)
-- or 2 (bad usage). commands: extra { name = function(net, ...) -> ok, msg }.
function T:main(arg, commands, noexit)
  arg = arg or {}
  commands = commands or {}
  local prog = arg[0] or "topology.lua"
  local function finish(code)
    io.stdout:flush()
    if noexit then return code end
    os.exit(code)
  end
  local function usage(msg)
    if msg then io.stderr:write(prog, ": ", msg, "\n") end
    local u = fmt(USAGE, prog)
    local extra = {}
    for k in pairs(commands) do extra[#extra + 1] = k end
    table.sort(extra)
    for _, k in ipairs(extra) do u = u .. fmt("  %-22s (this script's own)\n", k) end
    io.stderr:write(u)
    return finish(2)
  end
  local function failed(msg)
    io.stderr:write(prog, ": ", tostring(msg), "\n")
    return finish(1)
  end
  local nargs = 0
  for i = 1, 64 do if arg[i] ~= nil then nargs = i end end
  -- --machine NAME (a lab across machines: this machine's slice)
  for i = 2, nargs - 1 do
    if arg[i] == "--machine" then
      local m = arg[i + 1]
      local rest = { [0] = arg[0] }
      for j = 1, nargs do if j ~= i and j ~= i + 1 then rest[#rest + 1] = arg[j] end end
      arg, nargs = rest, nargs - 2
      local ok, err = pcall(self._slice_to, self, m, "--machine")
      if not ok then return usage((tostring(err):gsub("^[^:\n]+:%d+: ", ""))) end
      break
    end
  end
  local cmd = arg[1]
  -- of a lab across machines every command but dot works on one machine's
  -- slice: the one given, else the one whose underlay address is here
  if self.machines[1] and not self.slice and cmd ~= nil and cmd ~= "dot" then
    local ok, err = pcall(self._slice_to, self, nil, cmd)
    if not ok then return failed((tostring(err):gsub("^[^:\n]+:%d+: ", ""))) end
  end
  local function want(n)
    return nargs == n
  end
  if (cmd == "up" or cmd == "apply") and want(1) then
    local ok, msg = self:up()
    if not ok then return failed(msg) end
    print(fmt("up %s: %d steps done", self.name, #self:steps()))
    return finish(0)
  elseif cmd == "plan" and (want(1) or (want(2) and arg[2] == "--json")) then
    if arg[2] then
      local ok, text = pcall(self.plan, self, { format = "json" })
      if not ok then return failed(text) end
      print(text)
      return finish(text:find('"changes":[]', 1, true) and 0 or 2)
    end
    local ok, plan = pcall(self.plan, self)
    if not ok then return failed(plan) end
    for _, op in ipairs(plan) do
      print(fmt("%-8s %s%s", op.op, op.what, op.detail and (": " .. op.detail) or ""))
    end
    print(fmt("plan %s: %d changes", self.name, #plan))
    return finish(#plan == 0 and 0 or 2)
  elseif cmd == "down" and want(1) then
    local ok, msg = self:down()
    if not ok then return failed(msg) end
    print(fmt("down %s: done", self.name))
    return finish(0)
  elseif cmd == "status" and want(2) and arg[2] == "--json" then
    local ok, text = pcall(self.status, self, { format = "json" })
    if not ok then return failed(text) end
    print(text)
    return finish(text:find('"all_present":true', 1, true) and 0 or 1)
  elseif cmd == "status" and want(1) then
    local ok, st, all = pcall(self.status, self)
    if not ok then return failed(st) end
    local counts = { present = 0, missing = 0, different = 0 }
    for _, s in ipairs(st) do
      counts[s.state] = counts[s.state] + 1
      print(fmt("%-10s %s%s", s.state, s.what, s.detail and s.state ~= "present" and (": " .. s.detail) or ""))
    end
    print(fmt("status %s: %d present, %d missing, %d different", self.name,
              counts.present, counts.missing, counts.different))
    return finish(all and 0 or 1)
  elseif cmd == "dot" and want(1) then
    local ok, d = pcall(self.dot, self)
    if not ok then return failed(d) end
    io.stdout:write(d)
    return finish(0)
  elseif cmd == "reach" and want(1) then
    local ok, all = pcall(self.reach, self)
    if not ok then return failed(all) end
    return finish(all and 0 or 1)
  elseif cmd == "ping" and want(3) then
    local ok, r, out = pcall(self.ping, self, arg[2], self.byname[arg[3]] or arg[3])
    if not ok then return usage(r) end
    io.stdout:write(out)
    return finish(r and 0 or 1)
  elseif cmd == "exec" and nargs >= 3 then
    if not self.byname[arg[2]] then return usage("no node named " .. tostring(arg[2])) end
    local argv = {}
    for i = 3, nargs do argv[#argv + 1] = arg[i] end
    local ok, _, _, code = self:exec(arg[2], argv, { capture = false })
    if ok == nil then return failed(_) end
    return finish(ok and 0 or (tonumber(code) or 1))
  elseif cmd ~= nil and commands[cmd] then
    local extra = {}
    for i = 2, nargs do extra[#extra + 1] = arg[i] end
    local ok, r, msg = pcall(commands[cmd], self, unpack(extra))
    if not ok then return failed(r) end
    if not r then return failed(msg or (cmd .. " failed")) end
    return finish(0)
  end
  if cmd == nil then return usage() end
  return usage("bad command line: " .. table.concat(arg, " ", 1, nargs))
end

