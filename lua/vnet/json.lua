--- A small, strict JSON encoder for vnet's tools (a topology's status and
-- plan as JSON), in pure Lua (5.1 to 5.4 and LuaJIT).
--
-- Strict means that a value JSON cannot say exactly raises instead of being
-- written as something else: NaN and infinities, a table that is neither an
-- array nor an object, a key that is not a string, a string that is not
-- UTF-8, a cycle, a function. The error names where the value is, as a Lua
-- path from `value` (the argument): `value.steps[3].what`.
--
-- Output is deterministic: an object's keys are written in sorted order
-- (byte order), so the same value always gives the same text.
-- @module vnet.json
local M = {}

local type, next, rawget, tostring = type, next, rawget, tostring
local fmt, byte, find, gsub, rep = string.format, string.byte, string.find, string.gsub, string.rep
local concat, sort = table.concat, table.sort
local floor, huge = math.floor, math.huge
local mtype = math.type
local getmt = debug and debug.getmetatable or getmetatable

local MAX_DEPTH = 200

--- The JSON `null`: a value that stands for one where Lua cannot keep nil,
-- in an array (`{ 1, json.null, 3 }` is `[1,null,3]`) or an object.
-- @usage
-- local json = require "vnet.json"
-- assert(json.encode({ 1, json.null, 3 }) == "[1,null,3]")
-- assert(json.encode({ gone = json.null }) == '{"gone":null}')
M.null = setmetatable({}, {
  __tostring = function() return "json.null" end,
  __newindex = function() error("json.null is read-only", 2) end,
})
local null = M.null

-- tables marked by M.object (weak: the mark goes with the table)
local objects = setmetatable({}, { __mode = "k" })

--- Marks a table to be written as a JSON object, so that an empty one is
-- `{}` (an empty table is otherwise `[]`).
-- @tparam[opt] table t the table (a new empty one if not given)
-- @return t
-- @raise if t is neither a table nor nil
-- @usage
-- local json = require "vnet.json"
-- assert(json.encode({}) == "[]")
-- assert(json.encode(json.object()) == "{}")
-- assert(json.encode({ links = json.object({}) }) == '{"links":{}}')
function M.object(t)
  if t == nil then t = {} end
  if type(t) ~= "table" or t == null then
    error("json.object: argument must be a table, got " .. (t == null and "json.null" or type(t)), 2)
  end
  objects[t] = true
  return t
end

-- the fewest digits that read back as x: %.15g, %.16g or %.17g (15 digits
-- say every normal double whose shortest form has 15 or fewer; a
-- subnormal one may need fewer)
local TINY = 2.2250738585072014e-308
local function shortest(x)
  if x > -TINY and x < TINY then
    for p = 1, 17 do
      local s = fmt("%." .. p .. "g", x)
      if tonumber(s) == x then return s end
    end
  end
  local s = fmt("%.15g", x)
  if tonumber(s) ~= x then
    s = fmt("%.16g", x)
    if tonumber(s) ~= x then s = fmt("%.17g", x) end
  end
  return s
end

-- ---- the path of a value, for errors ----------------------------------------

-- a number key shown in a message, as encode writes a number
local function numkey(k)
  if mtype and mtype(k) == "integer" then return fmt("%d", k) end
  if k == floor(k) and k > -1e16 and k < 1e16 then return fmt("%.0f", k) end
  return shortest(k)
end

-- a string key shown in a message: "key", its odd bytes as \ddd, cut at 40
local function shown(k)
  if #k > 40 then k = k:sub(1, 40) .. "..." end
  return '"' .. gsub(k, '[%z\1-\31"\\\127-\255]', function(c) return fmt("\\%d", byte(c)) end) .. '"'
end

-- a key as Lua writes it in a path: .name, ["odd key"], [3]
local function pathkey(k)
  if type(k) == "number" then return "[" .. numkey(k) .. "]" end
  if type(k) == "string" then
    if find(k, "^[%a_][%w_]*$") then return "." .. k end
    return "[" .. shown(k) .. "]"
  end
  return "[" .. tostring(k) .. "]"
end

-- the path of the value at depth d of the walk (st.keys[1..d-1] lead to it)
local function path(st, d)
  local out = { "value" }
  for i = 1, d - 1 do out[#out + 1] = pathkey(st.keys[i]) end
  return concat(out)
end

local FAIL = {}

local function fail(msg)
  error({ FAIL, "json.encode: " .. msg }, 0)
end

-- ---- scalars ----------------------------------------------------------------

local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
              ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t", ["\127"] = "\\u007f" }
for b = 0, 31 do
  local c = string.char(b)
  ESC[c] = ESC[c] or fmt("\\u%04x", b)
end

-- whether s is well-formed UTF-8 (RFC 3629: no overlong forms, no
-- surrogates, nothing past U+10FFFF)
local function utf8_ok(s)
  local i = 1
  while true do
    i = find(s, "[\128-\255]", i)
    if not i then return true end
    local c, c2, c3, c4 = byte(s, i, i + 3)
    if c >= 0xC2 and c <= 0xDF then
      if not c2 or c2 < 0x80 or c2 > 0xBF then return false end
      i = i + 2
    elseif c >= 0xE0 and c <= 0xEF then
      local lo, hi = 0x80, 0xBF
      if c == 0xE0 then lo = 0xA0 elseif c == 0xED then hi = 0x9F end
      if not c3 or c2 < lo or c2 > hi or c3 < 0x80 or c3 > 0xBF then return false end
      i = i + 3
    elseif c >= 0xF0 and c <= 0xF4 then
      local lo, hi = 0x80, 0xBF
      if c == 0xF0 then lo = 0x90 elseif c == 0xF4 then hi = 0x8F end
      if not c4 or c2 < lo or c2 > hi or c3 < 0x80 or c3 > 0xBF or c4 < 0x80 or c4 > 0xBF then
        return false
      end
      i = i + 4
    else
      return false
    end
  end
end

-- s as a JSON string, or nil when s is not UTF-8
local function quote(s)
  if not find(s, '[%z\1-\31"\\\127-\255]') then return '"' .. s .. '"' end
  if find(s, "[\128-\255]") and not utf8_ok(s) then return nil end
  return '"' .. gsub(s, '[%z\1-\31"\\\127]', ESC) .. '"'
end

-- n as a JSON number, or nil when JSON has none for it
local function number(n)
  if mtype and mtype(n) == "integer" then return fmt("%d", n) end
  if n ~= n or n == huge or n == -huge then return nil end
  -- every integral double is an exact integer: below 1e16 its digits
  -- (%.0f is exact there), as Lua 5.3's integers are written
  if n == floor(n) and n > -1e16 and n < 1e16 then return fmt("%.0f", n) end
  return shortest(n)
end

-- ---- the walk ---------------------------------------------------------------

local put_value

-- a newline and the indentation of depth d (cached per depth)
local function newline(st, d)
  local s = st.nl[d]
  if not s then
    s = "\n" .. rep(" ", st.indent * d)
    st.nl[d] = s
  end
  return s
end

local function put_array(st, t, n, d)
  local buf = st.buf
  buf[#buf + 1] = "["
  local pretty = st.indent
  for i = 1, n do
    if i > 1 then buf[#buf + 1] = "," end
    if pretty then buf[#buf + 1] = newline(st, d) end
    st.keys[d] = i
    put_value(st, rawget(t, i), d + 1)
  end
  if pretty then buf[#buf + 1] = newline(st, d - 1) end
  buf[#buf + 1] = "]"
end

local function put_object(st, t, keys, d)
  sort(keys)
  local buf = st.buf
  buf[#buf + 1] = "{"
  local pretty = st.indent
  for i = 1, #keys do
    local k = keys[i]
    local qk = quote(k)
    if not qk then fail("invalid UTF-8 in a key of " .. path(st, d)) end
    if i > 1 then buf[#buf + 1] = "," end
    if pretty then buf[#buf + 1] = newline(st, d) end
    buf[#buf + 1] = qk
    buf[#buf + 1] = pretty and ": " or ":"
    st.keys[d] = k
    put_value(st, rawget(t, k), d + 1)
  end
  if pretty then buf[#buf + 1] = newline(st, d - 1) end
  buf[#buf + 1] = "}"
end

local function put_table(st, t, d)
  local mt = getmt(t)
  if type(mt) == "table" and rawget(mt, "__name") ~= nil then
    fail(fmt("%s is a %s, not plain data", path(st, d), tostring(rawget(mt, "__name"))))
  end
  if d > MAX_DEPTH then
    fail(fmt("%s is nested deeper than %d tables", path(st, d), MAX_DEPTH))
  end
  if st.open[t] then fail(path(st, d) .. " is a table that contains it (a cycle)") end
  -- the keys: strings (an object), or exactly 1..n (an array)
  local count, max, strs, other = 0, 0, {}, nil
  local numeric
  for k in next, t do
    count = count + 1
    if type(k) == "string" then
      strs[#strs + 1] = k
    elseif type(k) == "number" and k >= 1 and k % 1 == 0 then
      numeric = numeric or k
      if k > max then max = k end
    elseif other == nil then
      other = k
    end
  end
  local marked = objects[t]
  if other ~= nil then
    fail(fmt("%s has a %s key (%s): an object's keys are strings, an array's 1..n",
             path(st, d), type(other), type(other) == "number" and numkey(other) or tostring(other)))
  end
  st.open[t] = true
  if count == 0 then
    st.buf[#st.buf + 1] = marked and "{}" or "[]"
  elseif #strs == count then
    put_object(st, t, strs, d)
  elseif numeric and #strs > 0 then
    fail(fmt("%s mixes number keys ([%s]) with string keys (%s): an object's keys are strings",
             path(st, d), numkey(numeric), shown(strs[1])))
  elseif marked then
    fail(fmt("%s is a json.object with a number key ([%s]): an object's keys are strings",
             path(st, d), numkey(numeric)))
  elseif max ~= count then
    fail(fmt("%s is a sparse array (keys up to %s, %s missing; json.null fills a gap)",
             path(st, d), numkey(max), numkey(max - count)))
  else
    put_array(st, t, count, d)
  end
  st.open[t] = nil
end

function put_value(st, v, d)
  local tv = type(v)
  local buf = st.buf
  if tv == "string" then
    local q = quote(v)
    if not q then fail("invalid UTF-8 in " .. path(st, d)) end
    buf[#buf + 1] = q
  elseif tv == "number" then
    local s = number(v)
    if not s then
      fail(fmt("%s is %s, which JSON has no number for", path(st, d),
               v ~= v and "NaN" or (v > 0 and "+inf" or "-inf")))
    end
    buf[#buf + 1] = s
  elseif tv == "boolean" then
    buf[#buf + 1] = v and "true" or "false"
  elseif v == nil or v == null then
    buf[#buf + 1] = "null"
  elseif tv == "table" then
    put_table(st, v, d)
  else
    local mt = getmt(v)
    local name = type(mt) == "table" and rawget(mt, "__name")
    fail(fmt("%s is a %s, which JSON cannot encode", path(st, d),
             type(name) == "string" and name .. " (" .. tv .. ")" or tv))
  end
end

-- the options of encode: { indent = n | false }
local function options(opts)
  if opts == nil then return false end
  if type(opts) ~= "table" then
    error("json.encode: options must be a table, got " .. type(opts), 3)
  end
  local indent = false
  for k, v in next, opts do
    if k == "indent" then
      if v ~= false then
        if type(v) ~= "number" or not (v >= 0 and v <= 64) or v % 1 ~= 0 then
          error("json.encode: option 'indent' must be false or a whole number 0..64, got "
                .. (type(v) == "number" and tostring(v) or type(v)), 3)
        end
        indent = floor(v)
      end
    else
      error(fmt("json.encode: unknown option '%s'", tostring(k)), 3)
    end
  end
  return indent
end

--- Encodes a value as JSON text.
--
-- * `nil` and `json.null`: `null`; booleans; strings, which must be UTF-8
--   (written as they are but for `"`, `\`, the control characters and
--   DEL, which are escaped);
-- * numbers: integers (and integral floats below 1e16) as their digits,
--   other floats in the fewest digits that read back as the same number;
--   NaN and infinities raise;
-- * tables: an array when the keys are exactly 1..n (an empty table is
--   `[]`, one marked by `json.object` is `{}`), an object when every key
--   is a string, its keys written in sorted order; anything else raises.
--   Only a table's own contents are read (no `__index`, `__pairs`); a
--   table whose metatable has a `__name` (an object of a library) raises.
--
-- @param value the value to encode
-- @tparam[opt] table opts `indent`: `false` (the default: the compact form,
--   no spaces) or a number of spaces 0..64 (one item a line, indented by
--   that much per level, `"key": value`)
-- @treturn string the JSON text
-- @raise on a value JSON cannot say, naming its path (`json.encode: invalid
--   UTF-8 in value.steps[3].what`): NaN or an infinity, a string that is not
--   UTF-8, a key that is not a string in a table that is not an array 1..n,
--   a sparse array, a cycle, tables nested more than 200 deep, a function,
--   thread or userdata; on an unknown option or a bad `indent`
-- @usage
-- local json = require "vnet.json"
-- assert(json.encode({ name = "lab", hosts = { "h1", "h2" }, up = true })
--        == '{"hosts":["h1","h2"],"name":"lab","up":true}')
-- assert(json.encode({ a = 1, b = { 0.5 } }, { indent = 2 })
--        == '{\n  "a": 1,\n  "b": [\n    0.5\n  ]\n}')
-- local ok, err = pcall(json.encode, { steps = { { what = "\255" } } })
-- assert(not ok and err:find("invalid UTF-8 in value.steps[1].what", 1, true))
function M.encode(value, opts)
  local indent = options(opts)
  local st = { buf = {}, keys = {}, open = {}, indent = indent, nl = {} }
  local ok, err = pcall(put_value, st, value, 1)
  if not ok then
    if type(err) == "table" and err[1] == FAIL then error(err[2], 2) end
    error(err, 0)                      -- not ours (out of memory): as it was
  end
  return concat(st.buf)
end

return M
