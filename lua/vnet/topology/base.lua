--- vnet.topology, the classes and the small helpers its parts share.
-- (`require "vnet.topology"` loads every part.)
-- @module vnet.topology
local vnet = require "vnet"
local impair = require "vnet.impair"

local M = {}
local T = {}
T.__index = T
T.__close = function(self) self:down() end
T.__tostring = function(self) return "vnet.topology: " .. self.name end

local Node = {}
Node.__index = Node
Node.__tostring = function(n) return "vnet.topology." .. n.kind .. ": " .. n.name end

local unpack = table.unpack or unpack
local fmt = string.format

-- ---- addresses -----------------------------------------------------------
-- Parsed and printed by vnet.core's parser (vnet.ip), as every option of
-- the core is, in ip's canonical form.

local ip = vnet.ip

--- Parses "10.0.0.1", "10.0.0.1/24", "fd00::1/64". Returns nil if malformed.
-- Otherwise `{ family =, ip =, plen =, cidr =, explicit = }` (explicit:
-- the prefix length was given).
-- @function parse_cidr
local function parse_cidr(s)
  if type(s) ~= "string" then return nil end
  local fam, addr, plen = ip.parse(s)
  if not fam then return nil end
  return { family = fam, plen = plen, ip = addr, cidr = addr .. "/" .. plen,
           explicit = s:find("/", 1, true) ~= nil }
end
M.parse_cidr = parse_cidr

-- whether two parsed addresses are the same address (prefix lengths aside)
local function same_ip(a, b)
  return a.family == b.family and a.ip == b.ip
end

-- hands out host addresses of a subnet in order, skipping used ones
local function allocator(net)
  return { net = net, next = 1, used = {} }
end

local function alloc_next(al, what)
  local net = al.net
  while true do
    local c = ip.host(net.cidr, al.next)
    al.next = al.next + 1
    if not c then
      error(fmt("%s: subnet %s has no free address left", what,
                ip.network(net.cidr)), 0)
    end
    local p = parse_cidr(c)
    if not al.used[p.ip] then
      al.used[p.ip] = true
      return p
    end
  end
end

-- ---- small helpers -------------------------------------------------------

local function check_ifname(s, what)
  if type(s) ~= "string" or not vnet.core.ifname_ok(s) then
    error(fmt("%s: interface name '%s' must be 1 to 15 bytes without '/', ':' or spaces",
              what, tostring(s)), 3)
  end
  return s
end

local function cidr_list(v, what)
  local out = {}
  if v == nil then return out end
  if type(v) == "string" then v = { v } end
  if type(v) ~= "table" then error(what .. ": addresses must be a string or a list", 3) end
  for _, s in ipairs(v) do
    local c = parse_cidr(s)
    if not c then error(fmt("%s: '%s' is not a valid address", what, tostring(s)), 3) end
    if not c.explicit then c = parse_cidr(c.ip .. "/" .. (c.family == "inet" and 32 or 128)) end
    out[#out + 1] = c
  end
  return out
end

local function copy(t)
  local r = {}
  for k, v in pairs(t or {}) do r[k] = v end
  return r
end

local function hash(s)
  local h = 5381
  for i = 1, #s do h = (h * 33 + s:byte(i)) % 2147483647 end
  return h
end


local function check_keys(t, allowed, fn)
  if t == nil then return {} end
  if type(t) ~= "table" then error(fn .. ": options table expected", 3) end
  for k in pairs(t) do
    if not allowed[k] then error(fmt("%s: unknown option '%s'", fn, tostring(k)), 3) end
  end
  return t
end

-- the node whose namespace holds node's devices
local function home(node)
  if node.kind == "switch" then return node.at end
  return node
end

-- impairment options (vnet.impair) among a table's keys -> normalized table
-- (nil when none); both = the cable's options for both directions
local function imp_opts(t, what, both)
  local o, any = {}, false
  for k, v in pairs(both or {}) do o[k] = v; any = true end
  for k, v in pairs(t or {}) do
    if impair.KEYS[k] then o[k] = v; any = true end
  end
  if not any then return nil end
  local ok, r = pcall(impair.normalize, o, what)
  if not ok then error((tostring(r):gsub("^[^\n]-:%d+: ", "")), 4) end
  if not impair.shape(r) then return nil end    -- nothing to set (e.g. a limit alone)
  return r
end

local function ns_exists(name)
  for n in vnet.netns.list() do if n == name then return true end end
  return false
end

-- Whether /run/netns/NAME is an empty file with nothing mounted on it: what
-- a namespace's creation leaves when killed between making the file and
-- mounting the namespace on it (or its removal, between the two steps).
-- It holds no namespace, only the name.
local function stale_file(name)
  local path = "/run/netns/" .. name
  local mi = io.open("/proc/self/mountinfo")
  if not mi then return false end
  for line in mi:lines() do
    if line:match("^%S+ %S+ %S+ %S+ (%S+)") == path then
      mi:close()
      return false
    end
  end
  mi:close()
  local f = io.open(path, "rb")
  if not f then return false end
  local data = f:read(1)
  f:close()
  return data == nil
end

-- runs argv in h; returns ok, out, err
local function run(h, argv, stdin)
  local t = copy(argv)
  t.capture = true
  t.stdin = stdin
  local ok, out, err, code = h:exec(t)
  if ok == nil then return false, "", tostring(out) end
  return ok, out or "", err or "", code
end

local function ep_desc(e)
  return e.node.name .. ":" .. e.dev
end

local function nodelabel(node)
  if node.kind == "external" then return node.name .. " (external)" end
  return node.name
end

local function nft_table(self) return "vnet_" .. self.name:gsub("[^%w_]", "_") end

local function tagged(self, l) return l and l.alias == self.tag end

-- A link the topology makes in a namespace it does not own is born under a
-- temporary name that only this topology uses (the kernel ignores an alias
-- given at creation), and gets its own name and the tag in one request: so
-- at every instant it is either tagged or so named, and `down`, even after
-- a kill, finds it. "vn" .. 6 hex digits of the tag .. "_" .. the step.
local function tmp_prefix(self) return fmt("vn%06x_", hash(self.tag) % 0x1000000) end

local function tmp_name(self, s) return fmt("%s%x", tmp_prefix(self), s.index) end

-- the name option of the set{} that names a link born as `born`
local function renamed(born, name) if born ~= name then return name end end

local function is_tmp_name(self, name)
  local p = tmp_prefix(self)
  return name:sub(1, #p) == p and name:sub(#p + 1):match("^%x+$") ~= nil
end

local function addr_matches(a, want)
  local got = parse_cidr(a.address or "")
  if not got then return false end
  local plen = tonumber(a.prefixlen) or got.plen
  return same_ip(got, want) and (not a.prefixlen or plen == want.plen)
end

local function proto_of(v)
  return tostring(v)
end

local function same_dst(got, want)
  if got == nil or got == "default" or got == "0.0.0.0/0" or got == "::/0" then
    return want == "default"
  end
  if want == "default" then return false end
  local g, w = parse_cidr(got), parse_cidr(want)
  return g and w and g.plen == w.plen and same_ip(g, w)
end

local function rule_matches(r, o)
  for _, k in ipairs({ "priority", "table", "fwmark" }) do
    if o[k] ~= nil and tostring(r[k]) ~= tostring(o[k]) then return false end
  end
  for _, k in ipairs({ "iif", "oif" }) do
    if o[k] ~= nil and r[k] ~= o[k] then return false end
  end
  for _, k in ipairs({ "from", "to" }) do
    if o[k] ~= nil then
      if r[k] == nil then return false end
      local a, b = parse_cidr(r[k]), parse_cidr(o[k])
      if not a or not b or not same_ip(a, b) or a.plen ~= b.plen then return false end
    elseif r[k] ~= nil and r[k] ~= "all" then
      local a = parse_cidr(r[k])
      if a and a.plen ~= 0 then return false end
    end
  end
  return true
end

local function rule_family(o)
  if o.family then return o.family end
  local c = parse_cidr(o.from or o.to or "")
  return c and c.family or "inet"
end

-- kills the processes left running in the namespace of handle h (best
-- effort; a process is started only when there is one to kill)
local function kill_pids(h)
  local pids = h:pids()
  if pids and #pids > 0 then
    os.execute("kill -9 " .. table.concat(pids, " ") .. " >/dev/null 2>&1")
  end
end

local function is_wire(self, w)
  if type(w) ~= "table" or getmetatable(w) then return false end
  for _, list in ipairs({ self.cables, self.tunnels }) do
    for _, c in ipairs(list) do if c == w then return true end end
  end
  return false
end

-- A topology holds two descriptors per namespace it opens (the namespace
-- and its netlink socket; a third with net:monitor): the lab's and those of
-- its name left from an earlier script. A lab of more than about 500 would
-- stop at the usual soft limit of 1024, so the soft limit is raised ahead,
-- as far as the hard one lets (never lowered). Done by every up, down,
-- status and plan, and before the first handle anything else opens.
local function fd_room(self)
  local n, prefix = #self.nodes, self.name .. "-"
  -- (a /run/netns that cannot be read counts no stale namespace: the call
  -- that needs it says why)
  for name in vnet.netns.list() or function() end do
    if name:sub(1, #prefix) == prefix then n = n + 1 end
  end
  local soft = vnet.core.nofile()
  if soft and soft < 3 * n + 256 then vnet.core.nofile(3 * n + 256) end
  self._fd_room = true
end

-- What up, down, status and plan do first: their options read ({ machine =,
-- format = "json" }, format only where json is true), the slice set (see
-- T:_slice_to), room made for the descriptors; returns whether JSON text is
-- wanted.
local function run_opts(self, opts, fn, json)
  if opts ~= nil and type(opts) ~= "table" then error(fn .. ": options table expected", 3) end
  for k in pairs(opts or {}) do
    if k ~= "machine" and not (json and k == "format") then
      error(fmt("%s: unknown option '%s'", fn, tostring(k)), 3)
    end
  end
  opts = opts or {}
  self:_slice_to(opts.machine, fn)
  fd_room(self)
  if opts.format == nil or opts.format == "table" then return false end
  if opts.format ~= "json" then
    error(fmt("%s: format must be \"json\" or \"table\", got %s", fn, tostring(opts.format)), 3)
  end
  return true
end

-- the tunnels a cable between two machines can be, and what each leaves of
-- the underlay's 1500-byte MTU (outer IPv4 header and the tunnel's own)
local WAN = { vxlan = { mtu = 1450 }, geneve = { mtu = 1450 }, gre = { mtu = 1476 },
              gretap = { mtu = 1462 }, ipip = { mtu = 1480 } }

return {
  WAN = WAN,
  run_opts = run_opts,
  fd_room = fd_room,
  vnet = vnet,
  impair = impair,
  M = M,
  T = T,
  Node = Node,
  unpack = unpack,
  fmt = fmt,
  ip = ip,
  parse_cidr = parse_cidr,
  allocator = allocator,
  alloc_next = alloc_next,
  check_ifname = check_ifname,
  cidr_list = cidr_list,
  copy = copy,
  hash = hash,
  check_keys = check_keys,
  home = home,
  imp_opts = imp_opts,
  ns_exists = ns_exists,
  stale_file = stale_file,
  run = run,
  ep_desc = ep_desc,
  nodelabel = nodelabel,
  nft_table = nft_table,
  tagged = tagged,
  tmp_name = tmp_name,
  renamed = renamed,
  is_tmp_name = is_tmp_name,
  addr_matches = addr_matches,
  proto_of = proto_of,
  same_dst = same_dst,
  rule_matches = rule_matches,
  rule_family = rule_family,
  kill_pids = kill_pids,
  is_wire = is_wire,
}
