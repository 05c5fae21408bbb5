--- vnet.impair: impaired links the way users think of them.
--
--   link:impair{ delay = "50ms", jitter = "5ms", loss = "1%", rate = "10mbit",
--                duplicate = "0.1%", corrupt = "0.1%", reorder = "25%", limit = 1000,
--                ingress = { delay = "20ms", rate = "1mbit" } }
--   link:impair(false)            -- no impairment, egress nor ingress
--   link:impairment()             -- { delay = 0.05, loss = 1, rate = 10000000, ... }
--
-- The egress of the device gets one qdisc at its root, handle e1: for
-- netem and e2: for tbf (so vnet knows it as its own): tbf when only a rate is given (every kernel with
-- tbf), else netem, which carries the rate itself (netem's rate, which
-- spaces packets exactly and adds no second queue). Calling impair again
-- sends the new options to the same qdisc (`qdisc_change`: the kernel swaps
-- the parameters in place, no packet sees a perfect link or is dropped);
-- only a change of shape (rate only <-> netem) replaces it, which the kernel
-- also does in one step (`tc qdisc replace`).
--
-- The table is the whole wanted state: an option left out goes back to none
-- (so `impair{ delay = "10ms" }` after `impair{ delay = "100ms", loss = "5%" }`
-- drops the loss), and without `ingress` the ingress impairment is removed.
--
-- Ingress: what arrives on the device is redirected (an `ingress` qdisc and
-- a u32 filter matching everything with a mirred redirect) to an ifb device
-- named "vnifb<ifindex>" (alias "vnet-impair:<ifindex>") made in the same
-- namespace, whose egress carries the impairment as above. All of it is made
-- and removed together; a failure half way removes what was made.
--
-- Values are tc's spellings ("10ms", "1%", "10mbit") or plain numbers in
-- base units (seconds, percent, bits per second, packets), and read back as
-- plain numbers. Misuse raises naming the option; a kernel refusal returns
-- nil, msg, errname (a kernel without netem: "ENOENT" with its text).
-- Not for use inside ns:batch (impair reads the device's qdiscs first).
local M = {}

local fmt = string.format

-- each shape its own handle: the kernel replaces a root qdisc by one of
-- another kind only under another handle
-- (netem has two: see set_root)
M.HANDLES = { netem = "e1:", tbf = "e2:" }
local OURS = { ["e1:"] = "netem", ["e2:"] = "tbf" }
M.IFB_PREFIX = "vnifb"
M.ALIAS = "vnet-impair:"
-- tbf: bytes of queue per packet of `limit` (an Ethernet frame)
local FRAME = 1514
local DEFAULT_LIMIT = 1000

-- ---- options ---------------------------------------------------------------

local RATE_UNITS = {
  bit = 1, kbit = 1e3, mbit = 1e6, gbit = 1e9, tbit = 1e12,
  kibit = 1024, mibit = 1048576, gibit = 1073741824, tibit = 1099511627776,
  bps = 8, kbps = 8e3, mbps = 8e6, gbps = 8e9, tbps = 8e12,
  kibps = 8 * 1024, mibps = 8 * 1048576, gibps = 8 * 1073741824,
  tibps = 8 * 1099511627776,
}
local TIME_UNITS = {
  s = 1, sec = 1, secs = 1, ms = 1e-3, msec = 1e-3, msecs = 1e-3,
  us = 1e-6, usec = 1e-6, usecs = 1e-6, ns = 1e-9, nsec = 1e-9, nsecs = 1e-9,
}
local PERCENT_UNITS = { [""] = 1, ["%"] = 1 }
local LIMIT_UNITS = { [""] = 1 }

local TIME_MAX = 2 ^ 53 / 1e9          -- as the core: below 2^53 ns
local RATE_MAX = 9.2e18

-- kind of value of each option, with its examples
local KEYS = {
  delay = "time", jitter = "time", loss = "percent", duplicate = "percent",
  corrupt = "percent", reorder = "percent", rate = "rate", limit = "limit",
}
M.KEYS = KEYS
local ORDER = { "delay", "jitter", "loss", "duplicate", "corrupt", "reorder", "rate", "limit" }
M.ORDER = ORDER
local EXAMPLE = { time = "10ms", percent = "1%", rate = "10mbit", limit = "1000" }

local function bad(fn, what, msg, lvl)
  error(fmt("%s: %s %s", fn, what, msg), lvl + 1)
end

-- a string "<decimal><unit>" -> value * unit, or raises
local function parse(fn, what, s, units, example, lvl)
  if s:find("\0", 1, true) then bad(fn, what, "may not contain a NUL byte", lvl + 1) end
  if #s > 64 then bad(fn, what, fmt("is not a valid value (e.g. '%s')", example), lvl + 1) end
  local num, unit = s:match("^(%d*%.?%d*)(.*)$")
  local v = num and num:find("%d") and tonumber(num)
  if not v then
    bad(fn, what, fmt("'%s' is not a valid value (e.g. '%s')", s, example), lvl + 1)
  end
  local mult = units[unit:lower()]
  if not mult then
    if unit == "" then bad(fn, what, fmt("'%s' needs a unit (e.g. '%s')", s, example), lvl + 1) end
    bad(fn, what, fmt("'%s' is not a valid value (e.g. '%s')", s, example), lvl + 1)
  end
  return v * mult
end

--- M.value(kind, v, fn, what) -> the value in base units (a number), or raises.
-- kind: "time" (seconds), "percent", "rate" (bits/s, an integer), "limit"
-- (packets, an integer 1..2^32-1).
function M.value(kind, v, fn, what, lvl)
  lvl = (lvl or 1) + 1
  local example = EXAMPLE[kind]
  local n
  if type(v) == "number" then
    n = v
  elseif type(v) == "string" then
    local units = (kind == "time" and TIME_UNITS) or (kind == "rate" and RATE_UNITS)
                  or (kind == "percent" and PERCENT_UNITS) or LIMIT_UNITS
    n = parse(fn, what, v, units, example, lvl)
  else
    bad(fn, what, fmt("must be a number or a string like '%s', got %s", example, type(v)), lvl)
  end
  local max = (kind == "time" and TIME_MAX) or (kind == "rate" and RATE_MAX)
              or (kind == "percent" and 100) or 4294967295
  if not (n >= 0 and n <= max) then            -- NaN too
    bad(fn, what, fmt("is out of range (0 to %s)", kind == "time" and
                      fmt("%.0f seconds", max) or fmt("%.0f", max)), lvl)
  end
  if kind == "rate" then
    n = math.floor(n + 0.5)
    if n > 0 and n < 8 then bad(fn, what, "must be 0 or at least 8bit (a byte per second)", lvl) end
  elseif kind == "limit" then
    if n % 1 ~= 0 then bad(fn, what, "must be a whole number of packets", lvl) end
    if n < 1 then bad(fn, what, "is out of range (1 to 4294967295)", lvl) end
  end
  if math.type and (kind == "rate" or kind == "limit") then n = math.tointeger(n) or n end
  return n
end

local function pairs_raw(t) return next, t, nil end

--- M.normalize(opts, fn) -> { [key] = number... } (zeros dropped), or raises.
-- `ingress` is kept as a normalized table of its own (or nil).
function M.normalize(opts, fn, lvl, inner)
  lvl = (lvl or 1) + 1
  fn = fn or "impair"
  if type(opts) ~= "table" then
    bad(fn, "options", "must be a table or false, got " .. type(opts), lvl)
  end
  local out = {}
  -- every key, whether the table has a metatable or not (options may come
  -- from __index: read each known key through the table)
  for k in pairs_raw(opts) do
    if type(k) ~= "string" or not (KEYS[k] or (k == "ingress" and not inner)) then
      error(fmt("%s: unknown option '%s'%s", fn, tostring(k),
                inner and " in 'ingress'" or ""), lvl)
    end
  end
  for _, k in ipairs(ORDER) do
    local v = opts[k]
    if v ~= nil then
      local what = fmt("option '%s%s'", inner and "ingress." or "", k)
      local n = M.value(KEYS[k], v, fn, what, lvl)
      if n ~= 0 then out[k] = n end
    end
  end
  if out.reorder and not out.delay then
    error(fmt("%s: option '%sreorder' needs '%sdelay'", fn, inner and "ingress." or "",
              inner and "ingress." or ""), lvl)
  end
  if not inner then
    local ing = opts.ingress
    if ing ~= nil and ing ~= false then
      if type(ing) ~= "table" then
        bad(fn, "option 'ingress'", "must be a table or false, got " .. type(ing), lvl)
      end
      out.ingress = M.normalize(ing, fn, lvl, true)
      if next(out.ingress) == nil or (out.ingress.limit and M.shape(out.ingress) == nil) then
        out.ingress = nil
      end
    end
  end
  return out
end

--- M.shape(t) -> "netem", "tbf" or nil (nothing to do) for a normalized
-- direction.
function M.shape(t)
  if t.delay or t.jitter or t.loss or t.duplicate or t.corrupt or t.reorder then
    return "netem"
  end
  if t.rate then return "tbf" end
  return nil
end

--- M.qopts(t [, handle]) -> the qdisc options (for `link:qdisc_replace`) that
-- give a normalized direction, or nil when it needs none.
-- @function qopts
local function qopts(t, handle)
  local shape = M.shape(t)
  if shape == "netem" then
    return { kind = "netem", parent = "root", handle = handle or M.HANDLES.netem,
             delay = t.delay, jitter = t.jitter, loss = t.loss, duplicate = t.duplicate,
             corrupt = t.corrupt, reorder = t.reorder, rate = t.rate, limit = t.limit }
  elseif shape == "tbf" then
    local bytes = t.rate / 8
    -- a burst of 10 ms of traffic, at least four frames: tbf then keeps
    -- its rate whatever the timer granularity
    local burst = math.min(math.max(math.floor(bytes / 100), 4 * FRAME), 4294967295)
    return { kind = "tbf", parent = "root", handle = M.HANDLES.tbf, rate = t.rate,
             burst = burst, limit = math.min((t.limit or DEFAULT_LIMIT) * FRAME, 4294967295) }
  end
end
M.qopts = qopts

-- a normalized direction read from one of our root qdiscs
local function from_qdisc(q)
  local o = q.options or {}
  local t = {}
  if q.kind == "tbf" then
    t.rate = o.rate
    local lim = o.limit and math.floor(o.limit / FRAME + 0.5)
    if lim and lim ~= DEFAULT_LIMIT then t.limit = lim end
  elseif q.kind == "netem" then
    for _, k in ipairs(ORDER) do
      local v = o[k]
      if v ~= nil and v ~= 0 then t[k] = v end
    end
    if t.limit == DEFAULT_LIMIT then t.limit = nil end
  end
  return t
end

--- M.same(a, b) -> whether two normalized directions (or whole impairments)
-- are equal, within what the kernel keeps (percent to 2^-32, a rate in
-- whole bytes per second, a time in nanoseconds).
function M.same(a, b, inner)
  a, b = a or {}, b or {}
  for _, k in ipairs(ORDER) do
    local x, y = a[k], b[k]
    if k == "limit" then
      x, y = x or DEFAULT_LIMIT, y or DEFAULT_LIMIT
    end
    if (x == nil) ~= (y == nil) then return false end
    if x ~= nil then
      if type(x) ~= "number" or type(y) ~= "number" then
        if x ~= y then return false end
      else
        local tol = (KEYS[k] == "rate" and 8 + 1e-9 * math.abs(x))
                    or (KEYS[k] == "percent" and 1e-5) or (KEYS[k] == "time" and 1e-8) or 0
        if math.abs(x - y) > tol then return false end
      end
    end
  end
  if inner then return true end
  if (a.ingress == nil) ~= (b.ingress == nil) then return false end
  return a.ingress == nil or M.same(a.ingress, b.ingress, true)
end

--- M.describe(t) -> "delay 50ms loss 1% rate 10mbit" (tc's words), "" for none
function M.describe(t, inner)
  local out = {}
  local function num(v)
    return (fmt("%.6f", v):gsub("0+$", ""):gsub("%.$", ""))
  end
  for _, k in ipairs(ORDER) do
    local v = t and t[k]
    if v ~= nil then
      local s
      if type(v) ~= "number" then s = tostring(v)
      elseif KEYS[k] == "time" then
        s = v >= 1 and num(v) .. "s" or v >= 1e-3 and num(v * 1e3) .. "ms" or num(v * 1e6) .. "us"
      elseif KEYS[k] == "percent" then s = num(v) .. "%"
      elseif KEYS[k] == "rate" then
        s = v >= 1e9 and num(v / 1e9) .. "gbit" or v >= 1e6 and num(v / 1e6) .. "mbit"
            or v >= 1e3 and num(v / 1e3) .. "kbit" or num(v) .. "bit"
      else s = num(v) end
      out[#out + 1] = k .. " " .. s
    end
  end
  if not inner and t and t.ingress then
    out[#out + 1] = "ingress { " .. M.describe(t.ingress, true) .. " }"
  end
  return table.concat(out, " ")
end

-- ---- reading the device ---------------------------------------------------------

local function ifb_name(link) return M.IFB_PREFIX .. link.index end
local function ifb_alias(link) return M.ALIAS .. link.index end

-- what the device has now: { root = our root qdisc | nil, foreign = a root
-- qdisc of someone else | nil, ingress = the ingress qdisc | nil, ifb = our
-- ifb link | nil, ifb_root = its root qdisc of ours | nil }
local function read(link)
  local st = {}
  local it, msg, err = link:qdiscs()
  if not it then return nil, msg, err end
  for q in it do
    if q.parent == "root" then
      if OURS[q.handle] == q.kind then st.root = q
      elseif q.handle ~= "0:" then st.foreign = q end
    elseif q.kind == "ingress" or q.kind == "clsact" then
      st.ingress = q
    end
  end
  if st.ingress and st.ingress.kind == "ingress" then
    local fit = link:filters{ parent = "ingress" }
    local ns = link:ns()
    for f in fit or function() end do
      for _, a in ipairs(f.actions or {}) do
        if a.kind == "mirred" and a.dev and not st.ifb then
          local l = ns:link(a.dev)
          if l and l.kind == "ifb" and l.alias == ifb_alias(link) then st.ifb = l end
        end
      end
    end
    if st.ifb then
      local qit = st.ifb:qdiscs()
      for q in qit or function() end do
        if q.parent == "root" and OURS[q.handle] == q.kind then st.ifb_root = q end
      end
    end
  end
  return st
end

local function check_link(link, fn, lvl)
  local mt = getmetatable(link)
  if type(link) ~= "userdata" or not mt or mt.__name ~= "vnet.link" then
    error(fmt("%s: bad self (vnet.link expected, got %s)", fn,
              mt and mt.__name or type(link)), lvl + 1)
  end
end

--- The link's impairment, as `link:impair` takes it, read from the kernel.
-- @function link:impairment
-- @return `{ delay =, jitter =, loss =, rate =, ..., ingress = { ... } }`
--   (numbers in base units: seconds, percent, bits per second, packets; an
--   empty table when the link has none), or `nil, message, errname`
function M.impairment(link)
  check_link(link, "impairment", 2)
  local st, msg, err = read(link)
  if not st then return nil, (tostring(msg):gsub("^[%w_]+", "impairment", 1)), err end
  local t = st.root and from_qdisc(st.root) or {}
  if st.ifb_root then t.ingress = from_qdisc(st.ifb_root) end
  return t
end

-- ---- changing it -------------------------------------------------------------------

local function relabel(msg, dev)
  msg = tostring(msg)
  return (fmt("impair %s: %s", dev, msg))
end

-- brings the root of dev from qdisc cur (ours or nil) to direction want
-- (normalized, may be empty); returns an undo function (or true when
-- nothing was done) | nil, msg, errname
local function set_root(dev, cur, want, foreign)
  local o = qopts(want, cur and cur.kind == M.shape(want) and cur.handle or nil)
  if not o then
    if not cur then return true end
    local old = qopts(from_qdisc(cur), cur.handle)
    local ok, msg, err = dev:qdisc_del{ parent = "root", handle = cur.handle }
    if not ok then return nil, msg, err end
    return function() return dev:qdisc_add(old) end
  end
  if cur then
    local was = from_qdisc(cur)
    local old = qopts(was, cur.handle)
    local q, msg, err
    if cur.kind == o.kind then
      q, msg, err = dev:qdisc_change(o)
      if not q then return nil, msg, err end
      return function() return dev:qdisc_change(old) end
    end
    q, msg, err = dev:qdisc_replace(o)
    if not q then return nil, msg, err end
    return function() return dev:qdisc_replace(old) end
  end
  if foreign then
    return nil, fmt("the device has a %s qdisc at its root (handle %s) that impair did not make; remove it first",
                    tostring(foreign.kind), tostring(foreign.handle)), "EEXIST"
  end
  local q, msg, err = dev:qdisc_add(o)
  if not q then return nil, msg, err end
  return function() return dev:qdisc_del{ parent = "root", handle = o.handle } end
end

local function clear_ingress(link, st)
  local ok, msg, err = link:qdisc_del{ parent = "ingress" }
  if not ok and err ~= "ENOENT" and err ~= "EINVAL" then return nil, msg, err end
  ok, msg, err = st.ifb:delete()
  if not ok and err ~= "ENODEV" then return nil, msg, err end
  return true
end

-- makes the ifb, its qdisc, the ingress qdisc and the redirect; removes what
-- it made when a step fails
local function make_ingress(link, want)
  local ns = link:ns()
  local ifb, msg, err = ns:link_add{ name = ifb_name(link), kind = "ifb", up = true,
                                     alias = ifb_alias(link) }
  if not ifb then return nil, msg, err end
  local made_ingress = false
  local pok, ok
  pok, ok, msg, err = pcall(function()
    local r, m, e = set_root(ifb, nil, want)
    if not r then return nil, m, e end
    r, m, e = link:qdisc_add{ kind = "ingress" }
    if not r then return nil, m, e end
    made_ingress = true
    return link:filter_add{ kind = "u32", parent = "ingress", prio = 1, protocol = "all",
                            action = { kind = "mirred", mode = "redirect",
                                       direction = "egress", dev = ifb } }
  end)
  if pok and ok then return true end
  if made_ingress then pcall(link.qdisc_del, link, { parent = "ingress" }) end
  pcall(ifb.delete, ifb)
  if not pok then error(ok, 0) end     -- raised (out of memory): undone, raised again
  return nil, msg, err
end

--- Impairs the link, or removes its impairment: a netem or tbf qdisc of
-- vnet's at its root, and an ifb device for ingress. The table is the
-- whole wanted state: an option left out goes back to none.
-- @function link:impair
-- @param opts `false` (no impairment), or a table of `delay`, `jitter`
--   (`"50ms"` or seconds), `loss`, `duplicate`, `corrupt`, `reorder`
--   (`"1%"` or a percent), `rate` (`"10mbit"` or bits per second), `limit`
--   (packets, default 1000), and `ingress`, a table of the same options
--   for what arrives on the link
-- @return the link, or `nil, message, errname` (a kernel without netem:
--   `"ENOENT"` with its text)
-- @raise on misuse, naming the option, and inside `ns:batch`
function M.impair(link, opts)
  check_link(link, "impair", 2)
  local want
  if opts == false or opts == nil then
    if opts == nil then error("impair: options must be a table or false, got nil", 2) end
    want = {}
  else
    want = M.normalize(opts, "impair", 2)
  end
  local dev = link.name
  local st, msg, err = read(link)
  if not st then return nil, relabel(msg, dev), err end
  local egress = {}
  for k, v in pairs(want) do if k ~= "ingress" then egress[k] = v end end
  local undo
  undo, msg, err = set_root(link, st.root, egress, st.foreign)
  if not undo then return nil, relabel(msg, dev), err end
  local pok, ok
  pok, ok, msg, err = pcall(function()
    if want.ingress then
      if st.ifb then
        local u, m, e = set_root(st.ifb, st.ifb_root, want.ingress)
        return u ~= nil, m, e
      elseif st.ingress then
        return nil, fmt("the device has an %s qdisc that impair did not make; remove it first",
                        st.ingress.kind), "EEXIST"
      end
      return make_ingress(link, want.ingress)
    elseif st.ifb then
      return clear_ingress(link, st)
    end
    return true
  end)
  if not (pok and ok) then
    if type(undo) == "function" then pcall(undo) end
    if not pok then error(ok, 0) end   -- raised (out of memory): undone, raised again
    return nil, relabel(msg, dev), err
  end
  return link
end

return M
