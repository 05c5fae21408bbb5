--- vnet.topology, checks: ping and reach.
-- (`require "vnet.topology"` loads every part.)
-- @module vnet.topology
local B = require "vnet.topology.base"
local T, fmt, home, parse_cidr = B.T, B.fmt, B.home, B.parse_cidr
-- ---- checks: ping, reach ------------------------------------------------

--- net:ping(x, y [, { count =, timeout = }]) -> ok, output
function T:ping(x, y, opts)
  x = home(self:_node(x, "ping", "x"))
  opts = opts or {}
  local target = y
  if type(y) ~= "string" or not parse_cidr(y) then
    local yn = self:_node(y, "ping", "y")
    target = self:addr(yn)
    if not target then return false, yn.name .. " has no address" end
  end
  local ok, out, err = self:exec(x, { "ping", "-n", "-q", "-c", tostring(opts.count or 1),
                                      "-W", tostring(opts.timeout or 1), target }, { capture = true })
  return ok == true, (out or "") .. (err or "")
end

--- net:reach([opts]) -> all_ok, results ({ {x=, y=, ok=}... })
function T:reach(opts)
  opts = opts or {}
  local nodes = {}
  for _, n in ipairs(opts.nodes or self.nodes) do
    n = self:_node(n, "reach")
    -- hosts and routers; by default only those with an address to ping
    if (n.kind == "host" or n.kind == "router") and (opts.nodes or self:addr(n)) then
      nodes[#nodes + 1] = n
    end
  end
  local pairs_ = {}
  if opts.pairs then
    for _, p in ipairs(opts.pairs) do
      pairs_[#pairs_ + 1] = { self:_node(p[1], "reach"), self:_node(p[2], "reach") }
    end
  else
    -- (of a lab across machines, from this machine's nodes to all)
    for _, a in ipairs(nodes) do
      if not self.slice or a.machine == self.slice then
        for _, b in ipairs(nodes) do if a ~= b then pairs_[#pairs_ + 1] = { a, b } end end
      end
    end
    if opts.sample and opts.sample < #pairs_ then
      local pick, stride = {}, #pairs_ / opts.sample
      for i = 0, opts.sample - 1 do pick[#pick + 1] = pairs_[math.floor(i * stride) + 1] end
      pairs_ = pick
    end
  end
  local results, all, grid = {}, true, {}
  for _, p in ipairs(pairs_) do
    local ok = self:addr(p[2]) and self:ping(p[1], p[2]) or false
    results[#results + 1] = { x = p[1].name, y = p[2].name, ok = ok }
    grid[p[1].name .. "\0" .. p[2].name] = ok
    if not ok then all = false end
  end
  if not opts.quiet then
    local out = io.stdout
    if not opts.pairs and not opts.sample and #nodes <= 24 then
      local w = 4
      for _, n in ipairs(nodes) do if #n.name + 1 > w then w = #n.name + 1 end end
      local line = { fmt("%-" .. w .. "s", "") }
      for _, n in ipairs(nodes) do line[#line + 1] = fmt("%-" .. w .. "s", n.name) end
      out:write((table.concat(line):gsub("%s+$", "")), "\n")
      for _, a in ipairs(nodes) do
        line = { fmt("%-" .. w .. "s", a.name) }
        for _, b in ipairs(nodes) do
          local v = a == b and "-" or (grid[a.name .. "\0" .. b.name] and "ok" or "X")
          line[#line + 1] = fmt("%-" .. w .. "s", v)
        end
        out:write((table.concat(line):gsub("%s+$", "")), "\n")
      end
    else
      for _, r in ipairs(results) do
        if not r.ok then out:write(fmt("%s -> %s: unreachable\n", r.x, r.y)) end
      end
    end
    local n = 0
    for _, r in ipairs(results) do if r.ok then n = n + 1 end end
    out:write(fmt("reach %s: %d/%d pairs ok\n", self.name, n, #results))
  end
  return all, results
end

