-- The reference manual (config.ld, `make doc`) shows only examples that run:
-- every `@usage` block of a doc comment in the files it reads is run here as
-- a script, in a world of its own (H.world), and must succeed; every example
-- file it lists is one that examples_spec or topology_examples_spec runs,
-- and it lists all of them.
local H = require "spec.helper"

local function slurp(path) return assert(H.slurp(path)) end

local config = {}
do
  local chunk = loadstring and loadstring(slurp("config.ld"))
                or load(slurp("config.ld"), "config.ld", "t", config)
  if setfenv then setfenv(chunk, config) end
  chunk()
end

-- the files the manual is made from
local function sources()
  local out = {}
  for _, f in ipairs(config.file) do
    local _, list = H.sh("find " .. H.quote(f) .. " -name '*.lua' -o -name '*.c' | sort")
    for p in list:gmatch("[^\n]+") do out[#out + 1] = p end
  end
  return out
end

-- the @usage blocks of a file: { line =, code = }
local function usages(path)
  local out, cur = {}, nil
  local n = 0
  for line in (slurp(path) .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    local text = line:match("^%s*%-%-+ ?(.*)$") or line:match("^%s*%*+/?%s?(.*)$")
    if cur and (not text or text:match("^%s*@%a") or line:match("%*/%s*$")) then
      out[#out + 1] = cur
      cur = nil
    end
    if text and text:match("^%s*@usage%s*$") then
      cur = { line = n, code = {} }
    elseif cur then
      cur.code[#cur.code + 1] = text
    end
  end
  if cur then out[#out + 1] = cur end
  return out
end

describe("the manual", function()
  local blocks = {}
  for _, f in ipairs(sources()) do
    for _, u in ipairs(usages(f)) do
      blocks[#blocks + 1] = { where = f .. ":" .. u.line, code = table.concat(u.code, "\n") }
    end
  end

  it("has examples (@usage blocks) to run", function()
    assert.is_true(#blocks > 0)
  end)

  for _, b in ipairs(blocks) do
    it("runs the example at " .. b.where, function()
      local file = os.tmpname()
      local f = assert(io.open(file, "w"))
      f:write(b.code, "\n")
      f:close()
      local r = H.world({ H.lua_cmd() .. " " .. H.quote(file), "ip netns list" })
      os.remove(file)
      assert.are.equal(0, r[1].code, b.code .. "\n--\n" .. r[1].out .. r[1].err)
      assert.are.equal("", r[2].out, "namespaces left behind")
    end)
  end

  it("lists every example script, each run by a spec", function()
    local specs = slurp("spec/examples_spec.lua") .. slurp("spec/topology_examples_spec.lua")
    -- (the examples of labs across machines run in the two-VM tier)
    local vm2 = slurp("tools/test.sh")
    local listed = {}
    for _, e in ipairs(config.examples) do
      local name = e:match("^examples/([%w_]+)%.lua$")
      assert.is_string(name, e)
      assert.truthy(specs:find('{ "' .. name .. '",', 1, true)
                    or vm2:find(e, 1, true), e .. " is run by no spec")
      listed[e] = true
    end
    local _, out = H.sh("ls examples/*.lua")
    for e in out:gmatch("[^\n]+") do
      assert.is_true(listed[e] or e == "examples/vnet_example.lua", e .. " is not in config.ld")
    end
  end)
end)

-- The public surface (spec/fuzz/surface.lua: every function of vnet,
-- vnet.netns, vnet.core and vnet.ip, every method of every vnet.* type;
-- and the Lua modules' functions and a topology's methods) against the
-- anchors of the manual as `make doc` renders it: a call without an LDoc
-- block where it is defined fails here. Tagged #host_only: it does not
-- depend on the kernel, and the VM tier would only render it more slowly.
describe("the reference manual's coverage #host_only", function()
  local dir, out, ok

  lazy_setup(function()
    dir = os.tmpname()
    os.remove(dir)
    ok, out = H.sh("command -v ldoc >/dev/null || { echo 'ldoc is missing (tools/deps.sh)'; exit 1; }; "
                   .. "ldoc -d " .. H.quote(dir) .. " .")
  end)

  lazy_teardown(function()
    if dir then H.sh("rm -rf " .. H.quote(dir)) end
  end)

  it("renders without a warning", function()
    assert.is_true(ok, out)
    assert.is_nil(out:lower():find("warning") or out:lower():find("error")
                  or out:find("not found") or out:lower():find("unknown"), out)
  end)

  -- { [page] = { [anchor] = true } } and { [anchor] = true } of the manual
  local function anchors()
    local pages, any = {}, {}
    local _, list = H.sh("ls " .. H.quote(dir .. "/modules"))
    for file in list:gmatch("[^\n]+") do
      local page = file:match("^(.*)%.html$")
      if page then
        pages[page] = {}
        for a in slurp(dir .. "/modules/" .. file):gmatch('<a name = "([^"]+)">') do
          pages[page][a] = true
          any[a] = true
        end
      end
    end
    return pages, any
  end

  -- every public call: { owner =, name =, fn =, module = true for a
  -- module's function }
  local function calls()
    local S = require "spec.fuzz.surface"
    local out = {}
    for _, e in ipairs(S.entries()) do
      if not e.owner:match("^meta:") then
        out[#out + 1] = { owner = e.owner, name = e.name, fn = e.fn,
                          module = e.owner:match("^vnet") ~= nil }
      end
    end
    local function funcs(owner, t, module)
      local names = {}
      for k, v in pairs(t) do
        if type(k) == "string" and type(v) == "function" and not k:match("^_") then
          names[#names + 1] = k
        end
      end
      table.sort(names)
      for _, k in ipairs(names) do
        out[#out + 1] = { owner = owner, name = k, fn = t[k], module = module }
      end
    end
    local topo = require "vnet.topology"
    funcs("vnet.topology", topo, true)
    funcs("vnet.impair", require "vnet.impair", true)
    funcs("vnet.json", require "vnet.json", true)
    funcs("T", getmetatable(topo.new{ name = "vnmanual" }), false)
    return out
  end

  it("documents every public function and method", function()
    assert.is_true(ok, out)
    local pages, any = anchors()
    local function documented(c)
      if c.module then
        local page = pages[c.owner] or {}
        if page[c.name] or any[c.owner .. "." .. c.name] then return true end
        -- a module's function that is a method of another type (vnet.impair's
        -- impair is link:impair) is documented as that method, on its page
        for a in pairs(page) do
          if a:sub(-#c.name - 1) == ":" .. c.name then return true end
        end
        return false
      end
      return any[c.owner .. ":" .. c.name] or any["object:" .. c.name]
    end
    local list, done, missing = calls(), {}, {}
    for _, c in ipairs(list) do
      if documented(c) then done[c.fn] = true end
    end
    -- a function reachable by two names (vnet.poll is vnet.core.poll) is
    -- documented under one of them
    for _, c in ipairs(list) do
      if not done[c.fn] then
        missing[#missing + 1] = c.owner .. (c.module and "." or ":") .. c.name
      end
    end
    assert.is_true(#list > 150, "the surface has " .. #list .. " calls")
    assert.are.same({}, missing, "not in the manual (write an LDoc block where it is defined)")
  end)

  -- the pages of the manual: { [name] = html }
  local function pages()
    local out = {}
    local _, list = H.sh("ls " .. H.quote(dir .. "/modules"))
    for file in list:gmatch("[^\n]+") do
      out[file] = slurp(dir .. "/modules/" .. file)
    end
    return out
  end

  it("documents every field of every object type", function()
    assert.is_true(ok, out)
    local S = require "spec.fuzz.surface"
    S.entries()                          -- fills S.types with every vnet.* type
    local html, reg, missing, n = pages(), debug.getregistry(), {}, 0
    for tname, short in pairs(S.types) do
      local mt = reg[tname]
      -- the types of box.c (vn_type_register): __index's first upvalue is
      -- the set of their field names
      if type(mt) == "table" and mt.__vn_type and type(mt.__index) == "function" then
        local _, fields = debug.getupvalue(mt.__index, 1)
        assert.is_table(fields, tname)
        local page
        for _, h in pairs(html) do
          if h:find('name="Class_' .. short .. '"', 1, true) then page = h end
        end
        if not page then
          missing[#missing + 1] = tname .. " (no section)"
        else
          for f in pairs(fields) do
            n = n + 1
            -- an @field entry, or `f` in the text (an option that is also
            -- a field; LDoc links a Lua word such as `table` to its manual)
            if not (page:find('<span class="parameter">' .. f .. '</span>', 1, true)
                    or page:find("<code>" .. f .. "</code>", 1, true)
                    or page:find('">' .. f .. "</a>", 1, true)) then
              missing[#missing + 1] = tname .. "." .. f
            end
          end
        end
      end
    end
    table.sort(missing)
    assert.is_true(n > 100, "the object types have " .. n .. " fields")
    assert.are.same({}, missing, "fields not in the manual (an @field where the type is documented)")
  end)

  it("lists under each object type only that type's methods and fields", function()
    assert.is_true(ok, out)
    local bad = {}
    for file, h in pairs(pages()) do
      -- a @type section runs to the next section: a function documented
      -- after it (ns:addrs after @type addr) lands in it unless a
      -- `@section end` closes it
      local pos = 1
      while true do
        local s, e, sec = h:find('<h2 class="section%-header[^"]*"><a name="([^"]+)"></a>', pos)
        if not s then break end
        local nexts = h:find('<h2 class="section%-header', e + 1) or #h + 1
        local t = sec:match("^Class_(.+)$")
        if t then
          for a in h:sub(e + 1, nexts - 1):gmatch('<a name = "([^"]+)"></a>') do
            if a:sub(1, #t + 1) ~= t .. ":" and a:sub(1, #t + 1) ~= t .. "." then
              bad[#bad + 1] = file .. ": " .. a .. " in " .. sec
            end
          end
        end
        pos = nexts
      end
    end
    table.sort(bad)
    assert.are.same({}, bad)
  end)

  it("names every option key the C calls and the link kinds take", function()
    assert.is_true(ok, out)
    -- the words of the manual's code spans, parameters and linked names
    local words = {}
    for _, h in pairs(pages()) do
      for _, pat in ipairs({ "<code>(.-)</code>", '"parameter">(.-)</span>', '">([%w_%-]+)</a>' }) do
        for text in h:gmatch(pat) do
          for w in text:gmatch("[%w_%-]+") do words[w] = true end
        end
      end
    end
    -- the option keys: each `static const char *const ...keys...[] = { }`
    -- of csrc (what vn_opts_check and the kinds' tables accept)
    local missing, n = {}, 0
    local _, list = H.sh("ls csrc/*.c")
    for file in list:gmatch("[^\n]+") do
      local src = slurp(file)
      for name, body in src:gmatch("static const char %*const ([%w_]*keys[%w_]*)%[%] = (%b{})") do
        for k in body:gmatch('"([^"]+)"') do
          n = n + 1
          if not words[k] then missing[#missing + 1] = file .. " " .. name .. ": " .. k end
        end
      end
    end
    -- and the link kinds' own options, as vnet.core.kind lists them
    local core = require "vnet.core"
    for _, kind in ipairs(core.kinds()) do
      n = n + 1
      if not words[kind] then missing[#missing + 1] = "link kind " .. kind end
      for _, k in ipairs(assert(core.kind(kind)).options or {}) do
        n = n + 1
        if not words[k] then missing[#missing + 1] = "link kind " .. kind .. ": " .. k end
      end
    end
    table.sort(missing)
    assert.is_true(n > 300, "the sources have " .. n .. " option keys")
    assert.are.same({}, missing, "options not in the manual")
  end)

  it("renders every code span (no backtick left: one split across lines breaks)", function()
    assert.is_true(ok, out)
    local bad = {}
    for file, h in pairs(pages()) do
      local line = 0
      for l in (h .. "\n"):gmatch("([^\n]*)\n") do
        line = line + 1
        if l:find("`", 1, true) then bad[#bad + 1] = file .. ":" .. line .. ": " .. l end
      end
    end
    table.sort(bad)
    assert.are.same({}, bad)
  end)
end)
