-- vnet.json (lua/vnet/json.lua) against an independent parser, Python's json
-- module: every document encode writes must parse there (strictly: UTF-8
-- decoded as Python does, no NaN/Infinity), to the same value (Python
-- writes what it read back as a Lua expression, which is compared with
-- what was encoded), and Python's own sorted dump of it must be the same
-- text, compact and indented. Which byte strings are UTF-8 is Python's
-- decoder's answer too. Then the values JSON cannot say, each raising with
-- its path.
local H = require "spec.helper"
local json = require "vnet.json"

local fmt = string.format
local mtype = math.type

local function hex(s)
  return (s:gsub(".", function(c) return fmt("%02x", c:byte()) end))
end
local function unhex(h)
  return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

-- Reads "MODE HEX" lines (MODE "-": compact, else the indent): each
-- document parsed, then "OK <hex of Python's sorted dump> <Lua expression
-- of the value>" or "ERR <why>".
local ROUNDTRIP = [[
import json, sys
def const(x): raise ValueError('constant ' + x)
def lua(v):
    if v is None: return 'NULL'
    if v is True: return 'true'
    if v is False: return 'false'
    if isinstance(v, int): return str(v)
    if isinstance(v, float): return '%.17g' % v
    if isinstance(v, str): return '"' + ''.join('\\%03d' % b for b in v.encode('utf-8')) + '"'
    if isinstance(v, list): return '{' + ','.join(lua(x) for x in v) + '}'
    return '{' + ','.join('[%s]=%s' % (lua(k), lua(x)) for k, x in v.items()) + '}'
out = []
for line in sys.stdin.read().split('\n'):
    if not line: continue
    mode, hx = line.split(' ')
    try:
        v = json.loads(bytes.fromhex(hx).decode('utf-8'), parse_constant=const)
    except Exception as e:
        out.append('ERR ' + repr(e).replace('\n', ' '))
        continue
    if mode == '-':
        s = json.dumps(v, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    else:
        s = json.dumps(v, sort_keys=True, indent=int(mode), ensure_ascii=False)
    # JSON lets DEL stand as it is; vnet.json escapes it
    s = s.replace('\x7f', '\\u007f')
    out.append('OK ' + s.encode('utf-8').hex() + ' ' + lua(v))
sys.stdout.write('\n'.join(out) + '\n')
]]

-- Reads "RAW ENC" lines (hex; ENC "-" when encode raised): prints a line
-- for each disagreement with Python's UTF-8 decoder, then "done N".
local UTF8 = [[
import json, sys
n = 0
for line in sys.stdin.read().split('\n'):
    if not line: continue
    raw, enc = line.split(' ')
    n += 1
    b = bytes.fromhex(raw)
    try:
        s = b.decode('utf-8')
    except UnicodeDecodeError:
        s = None
    if s is None and enc != '-':
        print('accepted, not UTF-8:', raw)
    elif s is not None and enc == '-':
        print('refused, UTF-8:', raw)
    elif s is not None and json.loads(bytes.fromhex(enc).decode('utf-8')) != s:
        print('reads back differently:', raw, enc)
print('done', n)
]]

local tmp = {}
local function tmpfile(text)
  local name = os.tmpname()
  tmp[#tmp + 1] = name
  local f = assert(io.open(name, "wb"))
  f:write(text)
  f:close()
  return name
end

teardown(function()
  for _, f in ipairs(tmp) do os.remove(f) end
end)

-- runs a Python script with the lines as its input; its output lines
local function python(script, lines)
  local s, i = tmpfile(script), tmpfile(table.concat(lines, "\n") .. "\n")
  local ok, out = H.sh("python3 " .. H.quote(s) .. " < " .. H.quote(i))
  assert(ok, out)
  local res = {}
  for l in out:gmatch("[^\n]+") do res[#res + 1] = l end
  return res
end

-- the value a Lua expression of Python's stands for
local function eval(expr)
  local env = { NULL = json.null }
  local f
  if setfenv then
    f = assert(loadstring("return " .. expr, "=python"))
    setfenv(f, env)
  else
    f = assert(load("return " .. expr, "=python", "t", env))
  end
  return f()
end

-- Encodes each value (compact, and indented by each of indents): Python
-- must read it, to the same value, and dump it as the same text.
local function roundtrip(values, indents, noeval)
  local lines, docs = {}, {}
  for i, v in ipairs(values) do
    for _, ind in ipairs(indents or { false }) do
      local doc = json.encode(v, { indent = ind })
      docs[#docs + 1] = { doc = doc, value = v, i = i }
      lines[#lines + 1] = (ind and tostring(ind) or "-") .. " " .. hex(doc)
    end
  end
  local res = python(ROUNDTRIP, lines)
  assert.are.equal(#docs, #res)
  for k, d in ipairs(docs) do
    local status, dump, expr = res[k]:match("^(%u+) (%S*) ?(.*)$")
    assert.are.equal("OK", status, "value " .. d.i .. ": " .. d.doc .. "\n" .. res[k])
    assert.are.equal(d.doc, unhex(dump), "value " .. d.i)
    if not noeval then assert.are.same(d.value, eval(expr), "value " .. d.i .. ": " .. d.doc) end
  end
end

-- a fixed sequence (Park-Miller), the same under every Lua
local seed
local function rnd(n)
  seed = (seed * 16807) % 2147483647
  return seed % n + 1
end

local PIECES = { "a", "Z", " ", "key", "0", "", '"', "\\", "/", "\0", "\n", "\t", "\r", "\b",
                 "\f", "\1", "\31", "\127", "\195\169", "\226\130\172", "\240\157\132\158",
                 "\226\128\168", "\239\187\191", "\244\143\191\191", "\238\128\128",
                 "\237\159\191", "\194\128", "\223\191" }
local function rstring()
  local t = {}
  for i = 1, rnd(8) - 1 do t[i] = PIECES[rnd(#PIECES)] end
  return table.concat(t)
end

local function rnumber()
  local r = rnd(7)
  if r == 1 then return rnd(2 ^ 31) - 2 ^ 30 end
  if r == 2 then return (rnd(2) == 1 and 1 or -1) * (2 ^ 53 - rnd(1000)) end
  if r == 3 then return rnd(100000) / rnd(1000) end
  if r == 4 then return (rnd(2) == 1 and 1 or -1) * (rnd(2 ^ 31) / 2 ^ 31) * 10 ^ (rnd(600) - 300) end
  if r == 5 then return rnd(2 ^ 30) * 2 ^ 30 + rnd(2 ^ 30) + 0.5 ^ rnd(20) end
  if r == 6 then return rnd(2 ^ 31) * 2 ^ -(1000 + rnd(74)) end          -- subnormal
  return rnd(1000) * 10 ^ (rnd(40) - 20)
end

local function rvalue(depth)
  local r = depth > 5 and rnd(6) or rnd(10)
  if r <= 2 then return rstring() end
  if r <= 4 then return rnumber() end
  if r == 5 then return rnd(2) == 1 end
  if r == 6 then return json.null end
  local t = {}
  if r <= 8 then
    for i = 1, rnd(6) - 1 do t[i] = rvalue(depth + 1) end
  else
    for _ = 1, rnd(6) - 1 do t[rstring()] = rvalue(depth + 1) end
    if next(t) == nil then json.object(t) end
  end
  return t
end

local NEGZERO = -(0.0)

describe("json.encode", function()
  it("writes what Python reads back to the same value and dumps the same (random nested values)", function()
    seed = 20261203
    local values = {}
    for i = 1, 300 do values[i] = rvalue(1) end
    roundtrip(values, { false, 0, 1, 2, 4 })
  end)

  it("writes numbers exactly, in the fewest digits", function()
    local cases = {
      { 0, "0" }, { -1, "-1" }, { 1.0, "1" }, { 2 ^ 31, "2147483648" }, { -2 ^ 31, "-2147483648" },
      { 2 ^ 32 + 1, "4294967297" }, { 2 ^ 53, "9007199254740992" }, { -2 ^ 53, "-9007199254740992" },
      { 0.1, "0.1" }, { 1e300, "1e+300" }, { -1e300, "-1e+300" }, { NEGZERO, "-0" },
      { 1 / 3, "0.3333333333333333" }, { 2 / 3, "0.6666666666666666" }, { 0.5, "0.5" },
      { 1e-5, "1e-05" }, { 1e-4, "0.0001" }, { 123456.789, "123456.789" },
      { 9.5e15, "9500000000000000" }, { 1e16, "1e+16" }, { 2 ^ 63, "9.223372036854776e+18" },
      { 5e-324, "5e-324" }, { 1e-310, "1e-310" }, { -2.5e-320, "-2.5e-320" },
      { 2.2250738585072014e-308, "2.2250738585072014e-308" }, { 1.7976931348623157e308, "1.7976931348623157e+308" },
      { 1e15 + 0.5, "1000000000000000.5" }, { 0.30000000000000004, "0.30000000000000004" },
    }
    if mtype then
      cases[#cases + 1] = { math.maxinteger, "9223372036854775807" }
      cases[#cases + 1] = { math.mininteger, "-9223372036854775808" }
      cases[#cases + 1] = { math.tointeger(2 ^ 53), "9007199254740992" }
      cases[#cases + 1] = { math.tointeger(2 ^ 53) + 1, "9007199254740993" }
    end
    local values = {}
    for i, c in ipairs(cases) do
      assert.are.equal(c[2], json.encode(c[1]), "case " .. i)
      if c[1] ~= 0 then assert.are.equal(c[1], tonumber(c[2]), "case " .. i) end
      -- Python reads -0 as its integer 0 (and dumps "0"): the sign is
      -- checked here only
      if c[2] ~= "-0" then values[#values + 1] = c[1] end
    end
    assert.are.equal(-math.huge, 1 / NEGZERO)
    roundtrip({ values }, { false, 2 })
    -- random doubles of every magnitude come back exactly
    seed = 7
    local many = {}
    for i = 1, 2000 do many[i] = rnumber() end
    roundtrip({ many })
  end)

  it("writes each single byte 0..127 as Python reads it and refuses 128..255", function()
    local values = {}
    for b = 0, 255 do
      local s = string.char(b)
      if b < 128 then
        values[#values + 1] = s
        values[#values + 1] = { [s] = s }
      else
        H.raises(function() json.encode(s) end, "json.encode: invalid UTF-8 in value")
      end
    end
    roundtrip(values)
    assert.are.equal('"\\u0000"', json.encode("\0"))
    assert.are.equal('"\\u001f"', json.encode("\31"))
    assert.are.equal('"\\u007f"', json.encode("\127"))
    assert.are.equal('"\\n\\r\\t\\b\\f\\"\\\\/"', json.encode("\n\r\t\b\f\"\\/"))
  end)

  it("takes as UTF-8 exactly what Python's decoder takes", function()
    local lines = {}
    local function case(s)
      local ok, doc = pcall(json.encode, s)
      lines[#lines + 1] = hex(s) .. " " .. (ok and hex(doc) or "-")
    end
    for a = 0x80, 0xFF do                    -- every two-byte string with a high lead
      for b = 0, 0xFF, 3 do case(string.char(a, b)) end
      case(string.char(a, 0xBF))
    end
    for _, s in ipairs({ "\237\159\191", "\237\160\128", "\237\191\191", "\238\128\128",
                         "\239\191\191", "\240\144\128\128", "\244\143\191\191", "\244\144\128\128",
                         "\192\128", "\193\191", "\224\128\128", "\224\159\191", "\224\160\128",
                         "\240\128\128\128", "\240\143\191\191", "\245\128\128\128",
                         "\255", "\254", "a\195", "a\226\130", "\240\157\132", "\226\130\172\172" }) do
      case(s)
      case("x" .. s .. "y")
    end
    seed = 99                                -- random byte runs, biased to look like UTF-8
    local CLASS = { { 0x00, 0x7F }, { 0x80, 0xBF }, { 0x80, 0xBF }, { 0xC0, 0xDF }, { 0xE0, 0xEF },
                    { 0xF0, 0xF7 }, { 0xF8, 0xFF } }
    for _ = 1, 20000 do
      local t = {}
      for i = 1, rnd(6) do
        local c = CLASS[rnd(#CLASS)]
        t[i] = string.char(c[1] + rnd(c[2] - c[1] + 1) - 1)
      end
      case(table.concat(t))
    end
    local res = python(UTF8, lines)
    assert.are.same({ "done " .. #lines }, res)
  end)

  it("writes long strings and many keys, in sorted order", function()
    local parts = {}
    for i = 1, 20000 do parts[i] = PIECES[i % #PIECES + 1] end
    local long = table.concat(parts)
    local keys = {}
    for i = 1, 2000 do keys[PIECES[i % #PIECES + 1] .. i] = i end
    keys[""] = 0
    roundtrip({ long, keys, { [long] = long } }, { false, 3 })
    assert.are.equal('{"":1,"A":2,"B":3,"a":4,"b":5,"\195\169":6}',
                     json.encode({ b = 5, a = 4, [""] = 1, B = 3, A = 2, ["\195\169"] = 6 }))
  end)

  it("writes null, empty tables and json.object", function()
    assert.are.equal("null", json.encode(nil))
    assert.are.equal("null", json.encode(json.null))
    assert.are.equal("[1,null,3]", json.encode({ 1, json.null, 3 }))
    assert.are.equal('{"a":null}', json.encode({ a = json.null }))
    assert.are.equal("[]", json.encode({}))
    assert.are.equal("{}", json.encode(json.object()))
    assert.are.equal("{}", json.encode(json.object({})))
    assert.are.equal('{"a":1}', json.encode(json.object({ a = 1 })))
    assert.are.equal("[[],{}]", json.encode({ {}, json.object() }))
    assert.are.equal("[]", json.encode({}, { indent = 2 }))
    assert.are.equal("{}", json.encode(json.object(), { indent = 2 }))
    assert.are.equal("true", json.encode(true))
    assert.are.equal("[false]", json.encode({ false }))
    local t = {}
    assert.are.equal(t, json.object(t))
    H.raises(function() json.object("x") end, "json.object: argument must be a table, got string")
    H.raises(function() json.object(json.null) end, "json.object: argument must be a table")
    H.raises(function() json.null.x = 1 end, "json.null is read-only")
    assert.are.equal("json.null", tostring(json.null))
    -- a table shared (not a cycle) is written each time
    local s = { 1 }
    assert.are.equal('[[1],[1],{"x":[1]}]', json.encode({ s, s, { x = s } }))
  end)

  it("reads only a table's own contents", function()
    local t = setmetatable({ a = 1 }, { __index = { b = 2 }, __pairs = function() return next, { c = 3 } end,
                                        __len = function() return 5 end })
    assert.are.equal('{"a":1}', json.encode(t))
    local arr = setmetatable({ 1, 2 }, { __index = function(_, k) return k end })
    assert.are.equal("[1,2]", json.encode(arr))
    -- options too: one inherited through __index is not read
    assert.are.equal('{"a":1}', json.encode({ a = 1 }, setmetatable({}, { __index = { indent = 2 } })))
  end)

  it("nests 200 tables deep, not 201", function()
    local function nest(n)
      local t = { "end" }
      for _ = 2, n do t = { t } end
      return t
    end
    local doc = json.encode(nest(200))
    assert.are.equal(200, select(2, doc:gsub("%[", "")))
    roundtrip({ nest(200) }, { false, 1 }, true)
    H.raises(function() json.encode(nest(201)) end,
             "json.encode: value" .. ("[1]"):rep(200) .. " is nested deeper than 200 tables")
    local o = {}
    local cur = o
    for _ = 1, 200 do cur.k = {}; cur = cur.k end
    H.raises(function() json.encode(o) end, "value" .. (".k"):rep(200) .. " is nested deeper than 200")
  end)

  it("indents as asked", function()
    local v = { a = { 1, { b = json.null } }, c = "x", e = {} }
    assert.are.equal('{"a":[1,{"b":null}],"c":"x","e":[]}', json.encode(v))
    assert.are.equal('{"a":[1,{"b":null}],"c":"x","e":[]}', json.encode(v, { indent = false }))
    assert.are.equal('{\n"a": [\n1,\n{\n"b": null\n}\n],\n"c": "x",\n"e": []\n}', json.encode(v, { indent = 0 }))
    assert.are.equal('{\n  "a": [\n    1,\n    {\n      "b": null\n    }\n  ],\n  "c": "x",\n  "e": []\n}',
                     json.encode(v, { indent = 2 }))
  end)
end)

describe("json.encode refuses", function()
  local udata = io.stdout
  local named = setmetatable({}, { __name = "vnet.thing" })
  local cyc = {}
  cyc.self = cyc
  local deep = { a = { b = { 1, 2 } } }
  deep.a.b[3] = { back = deep.a }
  local cases = {
    { 0 / 0, "json.encode: value is NaN, which JSON has no number for" },
    { { a = { 0 / 0 } }, "json.encode: value.a[1] is NaN" },
    { math.huge, "json.encode: value is +inf" },
    { { x = { y = -math.huge } }, "json.encode: value.x.y is -inf" },
    { cyc, "json.encode: value.self is a table that contains it (a cycle)" },
    { deep, "json.encode: value.a.b[3].back is a table that contains it (a cycle)" },
    { { f = print }, "json.encode: value.f is a function, which JSON cannot encode" },
    { { coroutine.create(function() end) }, "json.encode: value[1] is a thread" },
    { { fd = udata }, "json.encode: value.fd is a", "userdata" },
    { { x = { named } }, "json.encode: value.x[1] is a vnet.thing, not plain data" },
    { { 1, a = 2 }, 'json.encode: value mixes number keys ([1]) with string keys ("a")' },
    { { 1, nil, 3 }, "json.encode: value is a sparse array (keys up to 3, 1 missing" },
    { { x = { [2] = true } }, "json.encode: value.x is a sparse array (keys up to 2, 1 missing" },
    { { 1, 2, [2 ^ 70] = 3 }, "json.encode: value is a sparse array (keys up to 1.1805916207174113e+21, " },
    { { [1e300] = 1 }, "json.encode: value is a sparse array (keys up to 1e+300, " },
    { { 1, ["\0\n\255"] = 2 }, 'json.encode: value mixes number keys ([1]) with string keys ("\\0\\10\\255")' },
    { { [0] = 1 }, "json.encode: value has a number key (0)" },
    { { 1, [-1] = 1 }, "json.encode: value has a number key (-1)" },
    { { 1, [1.5] = 1 }, "json.encode: value has a number key (1.5)" },
    { { [true] = 1 }, "json.encode: value has a boolean key (true)" },
    { { [{}] = 1 }, "json.encode: value has a table key" },
    { json.object({ 1 }), "json.encode: value is a json.object with a number key ([1])" },
    { { steps = { {}, {}, { what = "ok\255" } } }, "json.encode: invalid UTF-8 in value.steps[3].what" },
    { { ["a b"] = { ["\0"] = "\200" } }, 'json.encode: invalid UTF-8 in value["a b"]["\\0"]' },
    { { a = { ["\255"] = 1 } }, "json.encode: invalid UTF-8 in a key of value.a" },
    { { ["\237\160\128"] = 1 }, "json.encode: invalid UTF-8 in a key of value" },
  }
  if rawget(_G, "jit") then
    local ok, ffi = pcall(require, "ffi")
    if ok then cases[#cases + 1] = { { n = ffi.new("int64_t", 1) }, "json.encode: value.n is a cdata" } end
  end
  for i, c in ipairs(cases) do
    it("case " .. i .. ": " .. c[2], function()
      local err = H.raises(function() json.encode(c[1]) end, (table.unpack or unpack)(c, 2))
      -- raised at the caller's line
      assert.truthy(err:find("^[^:]*json_spec%.lua:%d+: json%.encode: "), err)
    end)
  end

  it("a vnet object", function()
    local ns = H.vnet.netns.current()
    H.raises(function() json.encode({ ns = ns }) end, "json.encode: value.ns is a", "userdata")
  end)

  it("bad options", function()
    local bad = {
      { { indnt = 1 }, "json.encode: unknown option 'indnt'" },
      { { indent = 2, [1] = true }, "json.encode: unknown option '1'" },
      { "x", "json.encode: options must be a table, got string" },
      { { indent = -1 }, "json.encode: option 'indent' must be false or a whole number 0..64, got -1" },
      { { indent = 1.5 }, "option 'indent' must be false or a whole number 0..64, got 1.5" },
      { { indent = 65 }, "option 'indent'" },
      { { indent = 2 ^ 53 }, "option 'indent'" },
      { { indent = 0 / 0 }, "option 'indent'" },
      { { indent = "2" }, "option 'indent' must be false or a whole number 0..64, got string" },
      { { indent = true }, "option 'indent' must be false or a whole number 0..64, got boolean" },
    }
    for _, b in ipairs(bad) do
      local err = H.raises(function() json.encode({ 1 }, b[1]) end, b[2])
      assert.truthy(err:find("^[^:]*json_spec%.lua:%d+: json%.encode: "), err)
    end
  end)
end)
