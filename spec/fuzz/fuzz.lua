-- The fuzz tier of `make test` (tools/test.sh): seeded, deterministic, bounded.
--
--   build/asan/lua_asan spec/fuzz/fuzz.lua          (as root, from the checkout)
--
-- Every public call of vnet (found by walking its tables and metatables, see
-- spec/fuzz/surface.lua) is made with odd values in every argument and every
-- option key it reads, plus lifecycle cases (use after close, delete and
-- collect; objects of another namespace; batches that fail, close, yield or
-- nest; abandoned and interleaved iterators) and exec cases (a program that
-- closes its stdin, one that floods its output, one that never exits).
--
-- Each call runs in pcall. It is fine when it raises a string naming the
-- function, or returns a value, or returns nil, message, errname. A finding
-- is: a crash (the process dies), a sanitizer report, an error that is not a
-- string or does not name the function, a bare nil, or a leftover (a
-- namespace, link or mount of the fuzzer's names still there at the end).
--
-- The cases run in child processes, one per chunk, each in scratch namespaces
-- named with a prefix of its own; this process (the parent) counts, restarts
-- after a crash at the next case, attributes a leak reported at a child's exit
-- by running that chunk's cases one by one, and prints one line per part:
--   fuzz: seed 1, 3000 cases, 0 crashes, 0 sanitizer reports, 0 bad errors, 0 leftovers
-- then one block per distinct finding. Exit status 0 only when all are zero.
--
-- Environment: VNET_FUZZ_SEED (default 1), VNET_FUZZ_CASES (default 2000),
-- VNET_FUZZ_SECONDS (wall-clock budget, default 150), VNET_FUZZ_CHUNK
-- (cases per child, default 100), VNET_FUZZ_VERBOSE=1 (print every case).
-- A single case: lua_asan spec/fuzz/fuzz.lua child SEED FIRST LAST PREFIX
package.path = "./?.lua;lua/?.lua;spec/fuzz/?.lua;" .. package.path

local SENTINEL = "vnet fuzz sentinel"      -- errors the fuzzer itself raises
local SENT_T = setmetatable({}, { __tostring = function() return SENTINEL end })

local function self_pid()
  local f = io.open("/proc/self/stat")
  local pid = f and f:read("*n")
  if f then f:close() end
  return pid or math.random(1e6)
end

-------------------------------------------------------------------------------
-- The child: runs cases FIRST..LAST of SEED and prints one line per event:
--   C i desc     case i starts (flushed before it runs)
--   F i kind fn | detail   a finding inside the process
--   N i what     a case that could not run (e.g. exec without timeout)
--   D            all cases ran
-------------------------------------------------------------------------------
local function child(seed, first_case, last_case, prefix, first_step)
  local vnet = require "vnet"
  local S = require "surface"
  local out = io.stdout
  local cur = 0
  local function emit(...) out:write(table.concat({ ... }, " "), "\n"); out:flush() end
  -- key: what makes two findings of one kind in one function the same
  local function norm(m)
    m = tostring(m):gsub("^[^:\n]*:%d+: ", ""):gsub("0x%x+", "0x"):gsub("%d+", "N")
    return m:sub(1, 90)
  end
  local function finding(kind, fn, key, detail)
    detail = tostring(detail):gsub("\n", "\\n")
    if #detail > 300 then detail = detail:sub(1, 300) .. "..." end
    key = tostring(key):gsub("[\n|]", " ")
    emit("F", cur, kind, fn, "|", key, "|", detail)
  end

  local ctx = S.fixture(prefix)
  ctx:ensure()
  -- metatables vnet makes on first use (iterators, guards) exist from here on
  for _ in ctx.a:links() do end
  for _ in ctx.a:addrs() do end
  local entries = S.entries()
  local reg = debug.getregistry()

  -- kinds, kept reversed: a string handed out through a collecting __index
  -- must not stay alive anywhere else (see gcproxy)
  local rkinds = {}
  for _, k in ipairs(vnet.core.kinds()) do rkinds[#rkinds + 1] = k:reverse() end
  -- the kinds no loaded Lua source names (a name written in a source is a
  -- constant that keeps that string alive for good): the collecting __index
  -- hands these out, so that the string it returns can really be freed
  local rfree = {}
  do
    local src = {}
    for _, f in ipairs{ package.searchpath("vnet", package.path), package.searchpath("surface", package.path), arg[0] } do
      local h = f and io.open(f)
      if h then src[#src + 1] = h:read("*a"); h:close() end
    end
    src = table.concat(src, "\n")
    for _, rk in ipairs(rkinds) do
      if not src:find("%f[%w]" .. rk:reverse() .. "%f[%W]") then rfree[#rfree + 1] = rk end
    end
    if #rfree == 0 then rfree = rkinds end
  end

  -- random numbers of one case
  local function R(n) return math.random(n) end
  local function pick(t) return t[math.random(#t)] end

  -- Tables whose __index is hostile ------------------------------------------
  local uniq_n = 0
  local function fresh_name()
    uniq_n = uniq_n + 1
    return ("g%dx%d"):format(cur, uniq_n)
  end
  -- keys whose value the gcproxy replaces with a string nothing else holds
  local fresh_for = {
    name = fresh_name, alias = fresh_name, label = function() return "fa0:" .. fresh_name() end,
    dev = fresh_name, iif = fresh_name, oif = fresh_name, master = fresh_name, parent = fresh_name,
    kind = function() return pick(rfree):reverse() end,
    cwd = function() return pick{ "/", "pmt/", "corp/" }:reverse() end,
    path = function() return ("/run/netns/" .. fresh_name()) end,
  }
  -- A proxy of opts whose __index runs a full collection and then returns a
  -- string made for this read (so that nothing but the caller holds it: a
  -- string kept by C after the read is then freed at the next read).
  local function gcproxy(opts, always)
    local store, kinds, raw = {}, {}, {}
    local ks = {}
    for k in pairs(opts) do ks[#ks + 1] = k end
    table.sort(ks, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(ks) do
      local v = opts[k]
      if math.type(k) == "integer" then
        raw[k] = v        -- the array part (exec's argv) stays raw
      elseif type(v) == "string" then
        if fresh_for[k] and (always or R(4) > 1) then store[k] = fresh_for[k]; kinds[k] = "gen"
        else store[k] = v:reverse(); kinds[k] = "rev" end
      elseif type(v) == "table" and getmetatable(v) == nil then
        store[k] = v; kinds[k] = "tab"
      else
        store[k] = v
      end
    end
    opts = nil
    local self_mt = {}
    self_mt.__index = function(_, k)
      collectgarbage()
      local v, how = store[k], kinds[k]
      if how == "gen" then local s = v(); if os.getenv("VNET_FUZZ_DEBUG") then io.stderr:write("gen ", tostring(k), "=", s, "\n") end; return s end
      if how == "rev" then return v:reverse() end
      if how == "tab" then
        local sub = {}
        for kk, vv in pairs(v) do sub[kk] = vv end
        return sub
      end
      return v
    end
    return setmetatable(raw, self_mt)
  end
  if os.getenv("VNET_FUZZ_DEBUG") then _G.fz_gcproxy = gcproxy end
  local function errproxy(as_table)
    return setmetatable({}, { __index = function() error(as_table and SENT_T or SENTINEL) end })
  end

  -- Odd values ----------------------------------------------------------------
  local dead = {}            -- released/deleted objects made by earlier cases
  local function live(short)
    if short == "ns" then return ctx.a end
    local t = S.templates[short]
    local get = t and t.totable and t.totable.call
    return get and get(ctx) or nil
  end
  local odd = {
    { "nil", function() return nil end },
    { "true", function() return true end },
    { "false", function() return false end },
    { "0", function() return 0 end },
    { "-1", function() return -1 end },
    { "1<<31", function() return 1 << 31 end },
    { "-(1<<31)", function() return -(1 << 31) end },
    { "(1<<32)+1", function() return (1 << 32) + 1 end },
    { "1<<32", function() return 1 << 32 end },
    { "2^53", function() return 2 ^ 53 end },
    { "2^63", function() return 2 ^ 63 end },
    { "math.maxinteger", function() return math.maxinteger end },
    { "math.mininteger", function() return math.mininteger end },
    { "math.huge", function() return math.huge end },
    { "-math.huge", function() return -math.huge end },
    { "0/0", function() return 0 / 0 end },
    { "1.5", function() return 1.5 end },
    { "''", function() return "" end },
    { "'a\\0b'", function() return "a\0b" end },
    { "'fa0\\0x'", function() return "fa0\0x" end },
    { "('x'):rep(100000)", function() return ("x"):rep(100000) end },
    { "'1e3'", function() return "1e3" end },
    { "'0x10'", function() return "0x10" end },
    { "' 5'", function() return " 5" end },
    { "'fa0'", function() return "fa0" end },
    { "'10.7.0.1/24'", function() return "10.7.0.1/24" end },
    { "function", function() return function() return "x" end end },
    { "coroutine", function() return coroutine.create(function() end) end },
    { "{}", function() return {} end },
    { "{1,2}", function() return { 1, 2 } end },
    { "io.stdout", function() return io.stdout end },
    { "err_index{}", function() return errproxy(false) end },
    { "err_index_table{}", function() return errproxy(true) end },
    { "gc_index{name=..}", function() return gcproxy({ name = "fa0", kind = "veth", dev = "fa0", cwd = "/" }, true) end },
    { "nsA", function() return ctx.a end },
    { "nsB", function() return ctx.b end },
    { "linkB", function() return ctx.b:link("fb0") end },
    { "link", function() return live("link") end },
    { "route", function() return live("route") end },
    { "addr", function() return live("addr") end },
    { "rule", function() return live("rule") end },
    { "neigh", function() return live("neigh") end },
    { "routeB", function() return S.first(ctx.b:routes()) end },
    { "dead_obj", function() return #dead > 0 and dead[R(#dead)] or nil end },
    { "closed_ns", function() local h = vnet.netns.open(ctx.a_name); h:close(); return h end },
  }

  local tname_of = {}
  for tn, short in pairs(S.types) do tname_of[short] = tn end
  local function methods_tbl(e)
    if e.owner:match("^vnet") then return vnet end
    return debug.getregistry()[tname_of[e.owner]].__vn_methods
  end

  -- Calling an entry the way a program would (so errors can name it) -------
  local callers = {}
  local function caller(e)
    local key = e.owner .. "." .. e.name
    if callers[key] then return callers[key] end
    local src
    if e.owner:match("^meta:") then
      src = "local mt, self = ...; return mt." .. e.name .. "(self, select(3, ...))"
    elseif e.owner:match("^vnet") then
      src = "local vnet, _ = ...; return " .. e.owner .. "." .. e.name .. "(select(3, ...))"
    else
      -- the type's methods table: a wrong self meets vnet's method, not its own
      src = "local methods, self = ...; return methods." .. e.name .. "(self, select(3, ...))"
    end
    local f = assert(load(src, "=" .. key))
    callers[key] = f
    return f
  end

  -- Judging an outcome ------------------------------------------------------
  local allowed = {        -- messages of Lua itself, met through what we hand in
    "attempt to yield", "not enough memory", "C stack overflow", "stack overflow",
    "attempt to use a released vnet%.", "attempt to use a closed vnet%.",
    "attempt to index a vnet%.%a+ value",
  }
  local function judge(fname, what, ok, ...)
    if not ok then
      local err = ...
      if rawequal(err, SENT_T) or (type(err) == "string" and err:find(SENTINEL, 1, true)) then return end
      if type(err) ~= "string" then
        finding("non-string-error", fname, type(err), what .. ": " .. type(err) .. " " .. tostring(err))
        return
      end
      local short = fname:gsub("{.*}$", ""):match("([%w_]+)[^%w_]*$") or fname
      if err:find(short, 1, true) then return end
      -- batch raises again what a call inside it raised, naming that call
      if short == "batch" and err:gsub("^[^:\n]+:%d+: ", ""):match("^[%a_][%w_.]*: ") then return end
      local tname = fname:match("^(vnet%.%a+)")
      if tname and err:find(tname, 1, true) then return end
      for _, p in ipairs(allowed) do if err:find(p) then return end end
      finding("error-without-name", fname, norm(err), what .. ": " .. err)
      return
    end
    local n = select("#", ...)
    local v, msg, errname = ...
    if n >= 1 and v == nil and not (fname:find("__index", 1, true) or fname:find("iterator", 1, true)
                                    or fname:find(" field", 1, true)) then
      if type(msg) ~= "string" or type(errname) ~= "string" then
        finding("bad-failure-triple", fname, norm(msg) .. ", " .. type(errname),
                what .. ": nil, " .. tostring(msg) .. ", " .. tostring(errname))
      end
    end
  end

  -- reads everything an object offers (fields, tostring, totable)
  local function touch(fname, v)
    local tn = type(v) == "userdata" and getmetatable(v) and getmetatable(v).__name
    if not (tn and S.types[tn]) then return end
    judge(fname .. " tostring", "tostring(result)", pcall(tostring, v))
    local ok, t = pcall(function() return v:totable() end)
    if ok and type(t) == "table" then
      for k in pairs(t) do judge(fname .. " field", "result." .. tostring(k), pcall(function() return v[k] end)) end
    end
  end
  local function drain(fname, it, limit)
    for _ = 1, limit or 50 do
      local r = table.pack(pcall(it))
      judge(fname .. " iterator", "it()", table.unpack(r, 1, r.n))
      if not r[1] or r[2] == nil then return end
      touch(fname, r[2])
    end
  end
  local function after_call(e, r)
    -- a sanitizer report of exec's child (after fork, before execvp) comes
    -- back in the captured stderr
    if e.name == "exec" and r[1] then
      for j = 2, r.n do
        if type(r[j]) == "string" and r[j]:find("ERROR: AddressSanitizer", 1, true) then
          local frames = {}
          for fn, file in r[j]:gmatch("#%d+ 0x%x+ in (%S+) (%S+)") do
            if file:match("csrc/") then frames[#frames + 1] = fn .. " " .. file:gsub("^.*/csrc/", "csrc/") end
          end
          finding("sanitizer-in-exec-child", "ns.exec", (r[j]:match("AddressSanitizer: ([%w%-]+)") or "?") .. " " ..
                  table.concat(frames, " < ", 1, math.min(#frames, 3)), r[j]:match("(ERROR: [^\n]*)"))
        end
      end
    end
    -- a namespace made under a name that is not ours (a truncated or
    -- converted odd value): removed at once
    if ((e.owner == "vnet.netns" and e.name == "add") or e.name == "pin")
       and r[1] and type(r[2]) == "userdata" then
      local ok, n = pcall(function() return r[2].name end)
      if ok and type(n) == "string" and n:sub(1, #prefix) ~= prefix then
        -- (a pinned handle is the caller's own: only its new name goes)
        if e.name ~= "pin" then pcall(r[2].close, r[2]) end
        vnet.netns.delete(n)
      elseif ok and type(n) == "string" then
        ctx.extra[#ctx.extra + 1] = n
      end
    end
    if r[1] and type(r[2]) == "function" then drain(e.owner .. "." .. e.name, r[2]) end
    if r[1] and type(r[2]) == "userdata" then touch(e.owner .. "." .. e.name, r[2]) end
    if r[1] and type(r[2]) == "userdata" and getmetatable(r[2]) and getmetatable(r[2]).__name == "vnet.netns" then
      -- a handle we did not ask for: never used further
      if not rawequal(r[2], ctx.a) and not rawequal(r[2], ctx.b) then pcall(r[2].close, r[2]) end
    end
  end

  -- labels for reproducers
  local function lab(v)
    if type(v) == "string" then
      if #v > 60 then return ("('%s'):rep(%d)"):format(v:sub(1, 1), #v) end
      return ("%q"):format(v):gsub("\\\n", "\\n"):gsub("\\0", "\\0")
    end
    if type(v) == "table" and getmetatable(v) == nil then
      local parts = {}
      for k, x in pairs(v) do parts[#parts + 1] = (type(k) == "string" and k .. "=" or "") .. lab(x) end
      table.sort(parts)
      return "{" .. table.concat(parts, ", ") .. "}"
    end
    if type(v) == "userdata" then
      local mt = getmetatable(v)
      return mt and mt.__name and ("<" .. mt.__name .. ">") or "<userdata>"
    end
    if type(v) == "table" then return "<proxy table>" end
    return tostring(v)
  end

  -- Case kinds ------------------------------------------------------------------
  local cases = {}

  -- Valid calls, and what each one reads ------------------------------------
  -- The entries, plus one link_add per link kind (its own options are read
  -- only for that kind).
  local all = {}
  for _, e in ipairs(entries) do
    all[#all + 1] = e
    if e.owner == "ns" and e.name == "link_add" then
      for _, rk in ipairs(rkinds) do
        -- the kind is kept reversed (see rfree)
        all[#all + 1] = { owner = "ns", name = "link_add", fn = e.fn, rkind = rk }
      end
    end
  end
  local function tpl_of(e)
    if e.rkind then return S.kind_template(e.rkind:reverse()) end
    return S.template(e)
  end
  local function fname_of(e)
    if e.owner:match("^meta:") then return e.mt .. "." .. e.name end
    return e.owner .. "." .. e.name .. (e.rkind and ("{kind=" .. e.rkind:reverse() .. "}") or "")
  end
  -- self, args, nargs, index of the options table (or nil)
  local function build(e)
    local tpl = tpl_of(e)
    local self, args = nil, {}
    if e.owner:match("^meta:") then
      self = live(e.owner:sub(6))
    elseif tpl then
      if tpl.setup then pcall(tpl.setup, ctx) end
      local r = table.pack(pcall(tpl.call, ctx))
      if r[1] then
        self = r[2]
        for i = 3, r.n do args[#args + 1] = r[i] end
      end
    elseif not e.owner:match("^vnet") then
      self = live(e.owner)
    end
    local oi
    for i = #args, 1, -1 do if type(args[i]) == "table" and getmetatable(args[i]) == nil then oi = i break end end
    return self, args, #args, oi
  end
  -- calls e as a program would; judges it; cleans after it
  local function invoke(e, self, args, nargs, what, nul_read)
    local fname = fname_of(e)
    local r
    if e.owner:match("^meta:") then
      r = table.pack(pcall(caller(e), debug.getregistry()[e.mt], self, table.unpack(args, 1, nargs)))
      if e.name ~= "__gc" and e.name ~= "__close" then judge(fname, what, table.unpack(r, 1, r.n)) end
      if self ~= nil and (e.name == "__gc" or e.name == "__close") then dead[#dead + 1] = self end
    else
      r = table.pack(pcall(caller(e), methods_tbl(e), self, table.unpack(args, 1, nargs)))
      judge(fname, what, table.unpack(r, 1, r.n))
      if nul_read and r[1] and r[2] ~= nil and r[2] ~= false then
        finding("nul-accepted", fname, what:match("^%S+ %S+") or what, what .. ": returned " .. tostring(r[2]))
      end
      after_call(e, r)
      if e.name == "delete" and r[1] and self then dead[#dead + 1] = self end
    end
    local tpl = tpl_of(e)
    if tpl and tpl.after then pcall(tpl.after, ctx) end
    return r
  end

  -- option keys each valid call reads (found by a recording __index)
  local keys_of = {}
  local function discover(e)
    local key = fname_of(e)
    if keys_of[key] then return keys_of[key] end
    local seen, list = {}, {}
    if tpl_of(e) and not e.owner:match("^meta:") then
      local self, args, nargs = build(e)
      for i = 1, nargs do
        if type(args[i]) == "table" and getmetatable(args[i]) == nil then
          local base = args[i]
          for k in pairs(base) do if type(k) == "string" then seen[k] = true end end
          args[i] = setmetatable({}, { __index = function(_, k)
            if type(k) == "string" then seen[k] = true end
            return base[k]
          end })
        end
      end
      pcall(invoke, e, self, args, nargs, "discovery")
      pcall(ctx.ensure, ctx)
    end
    for k in pairs(seen) do list[#list + 1] = k end
    table.sort(list)
    keys_of[key] = list
    return list
  end

  -- The sweep: every entry x every argument position and every option key
  -- it reads x every odd value, then hostile options tables for each.
  local function sweep_slots()
    local slots = {}
    for _, e in ipairs(all) do
      local meta = e.owner:match("^meta:")
      local keys = discover(e)
      local _, bargs, nargs, oi = build(e)
      if tpl_of(e) and tpl_of(e).after then pcall(tpl_of(e).after, ctx) end
      local strarg = false
      for p = 1, nargs do strarg = strarg or type(bargs[p]) == "string" end
      if not e.rkind then
        local p0 = (meta or e.owner:match("^vnet")) and 1 or 0
        for p = p0, nargs + 1 do slots[#slots + 1] = { e = e, how = "arg", p = p, real = p >= 1 and p <= nargs } end
      end
      if oi or strarg then slots[#slots + 1] = { e = e, how = "nul" } end
      if oi then
        for _, k in ipairs(keys) do slots[#slots + 1] = { e = e, how = "opt", k = k } end
        slots[#slots + 1] = { e = e, how = "opt", k = "fzbogus" }
        slots[#slots + 1] = { e = e, how = "gc" }
        slots[#slots + 1] = { e = e, how = "err" }
      end
      ctx:ensure()
    end
    return slots
  end

  -- Each call of a sweep case is a step: "V i n" is printed before step n,
  -- and a child restarted after a crash in case i skips the steps up to it.
  local skip_case, skip_steps, stepn = nil, 0, 0
  local function step(line)
    stepn = stepn + 1
    if cur == skip_case and stepn <= skip_steps then return false end
    emit("C", cur, line)
    emit("V", cur, stepn)
    return true
  end
  local function run_slot(slot)
    stepn = 0
    if slot.how == "missing" then return "sweep slot of " .. slot.e.name .. " (not here)", function() end end
    local e, fname = slot.e, fname_of(slot.e)
    local desc
    if slot.how == "arg" then desc = fname .. (slot.p == 0 and " self" or (" arg " .. slot.p))
    elseif slot.how == "opt" then desc = fname .. " option " .. slot.k
    elseif slot.how == "nul" then desc = fname .. " NUL appended to each string option, one at a time"
    elseif slot.how == "gc" then desc = fname .. " options through a collecting __index"
    else desc = fname .. " options whose __index raises" end
    return desc, function()
      local vals = odd
      if slot.how == "nul" or slot.how == "gc" or slot.how == "err" then vals = { { "-", false } } end
      local reps = slot.how == "gc" and 12 or 1
      for _, v in ipairs(vals) do
        for rep = 1, reps do
          local self, args, nargs, oi = build(e)
          local what, nul
          if slot.how == "arg" then
            local x = v[2]()
            if slot.p == 0 then self = x else args[slot.p] = x; nargs = math.max(nargs, slot.p) end
            what = (slot.p == 0 and "self = " or ("arg " .. slot.p .. " = ")) .. v[1]
            -- bytes (a template's binary = { [p] = true }: process:write's data) may hold NUL
            local bin = (tpl_of(e) or {}).binary
            nul = slot.real and not (bin and bin[slot.p]) and type(x) == "string"
                  and x:find("\0", 1, true) and true
          elseif slot.how == "opt" then
            local x = v[2]()
            args[oi][slot.k] = x
            what = ("option %s = %s"):format(slot.k, v[1])
            nul = slot.k ~= "fzbogus" and slot.k ~= "stdin" and type(x) == "string" and x:find("\0", 1, true) and true
          elseif slot.how == "nul" then
            local ks = {}
            for k, x in pairs(oi and args[oi] or {}) do if type(x) == "string" and k ~= "stdin" then ks[#ks + 1] = k end end
            table.sort(ks, function(a, b) return tostring(a) < tostring(b) end)
            for _, k in ipairs(ks) do
              local s2, a2, n2, o2 = build(e)
              a2[o2][k] = a2[o2][k] .. "\0fz"
              if step(desc .. ": " .. tostring(k)) then
                invoke(e, s2, a2, n2, ("option %s = %q .. '\\0fz'"):format(tostring(k), a2[o2][k]:sub(1, -4)), true)
                pcall(ctx.ensure, ctx)
              end
            end
            -- positional strings
            for p = 1, nargs do
              if type(args[p]) == "string" and not ((tpl_of(e) or {}).binary or {})[p] then
                local s2, a2, n2 = build(e)
                a2[p] = a2[p] .. "\0fz"
                if step(desc .. ": arg " .. p) then
                  invoke(e, s2, a2, n2, ("arg %d = %q .. '\\0fz'"):format(p, a2[p]:sub(1, -4)), true)
                  pcall(ctx.ensure, ctx)
                end
              end
            end
            return
          elseif slot.how == "gc" then
            math.randomseed(seed * 7919 + cur * 31 + rep)
            args[oi] = gcproxy(args[oi]); what = "options through a collecting __index, variant " .. rep
            -- odd variants also run the collector at (nearly) every allocation,
            -- so a string is freed even between two reads
            if rep % 2 == 1 then what = what .. " (collector at every step)" end
          else
            args[oi] = errproxy(R(2) == 1); what = "options whose __index raises"
          end
          local go = step(desc .. ": " .. what)
          if go and slot.how == "gc" and rep % 2 == 1 then collectgarbage("incremental", 1, 1000, 0) end
          local r = go and invoke(e, self, args, nargs, what, nul) or {}
          collectgarbage("incremental", 200, 100, 13)
          -- exec's options from __index are all valid (cwd an existing
          -- directory): a failure means a string was used after it was freed
          -- (freed memory is filled, see ASAN_OPTIONS in the parent) where
          -- the sanitizer cannot see it (a system call in the child)
          if slot.how == "gc" and e.name == "exec" and r[1] and r[2] == nil then
            finding("gc-changed-result", fname, norm(r[3]), what .. ": " .. tostring(r[3]))
          end
          pcall(ctx.ensure, ctx)
        end
      end
    end
  end

  -- A random call: one entry, its valid arguments, a few random changes.
  cases.call = function()
    local e = pick(all)
    local keys = discover(e)
    local fname = fname_of(e)
    local self, args, nargs, oi = build(e)
    local m = R(10)
    local what
    local meta = e.owner:match("^meta:")
    if m <= 5 and oi then
      local o = args[oi]
      for _ = 1, R(4) do
        local k = (#keys > 0 and R(6) > 1) and pick(keys) or pick{ "fzbogus", "mtuu", 1, 2 }
        local v = pick(odd)
        o[k] = v[2]()
        what = (what and what .. "; " or "") .. ("option %s = %s"):format(tostring(k), v[1])
      end
    elseif m <= 6 and oi then
      args[oi] = gcproxy(args[oi]); what = "options through a collecting __index"
    elseif m <= 9 then
      for _ = 1, R(2) do
        local i = R(nargs + 1)
        local v = pick(odd)
        args[i] = v[2]()
        nargs = math.max(nargs, i)
        what = (what and what .. "; " or "") .. ("arg %d = %s"):format(i, v[1])
      end
    elseif not e.owner:match("^vnet") and not (meta and (e.name == "__gc" or e.name == "__close")) then
      local v = pick(odd)
      self = v[2]()
      what = "self = " .. v[1]
    else
      what = "valid arguments"
    end
    return fname .. " " .. what .. " args " .. lab(args), function()
      invoke(e, self, args, nargs, what)
    end
  end
  -- A field read of a live, released or deleted object.
  cases.field = function()
    local short = pick{ "link", "addr", "route", "rule", "neigh", "ns" }
    local state = pick{ "live", "live", "released", "deleted_or_closed" }
    local k = R(3) > 1 and "?" or pick{ 1, 1.5, true, "", "a\0b", "__index", "totable" }
    return ("field of a %s %s: obj[%s]"):format(state, short, lab(k)), function()
      local obj = live(short)
      if short == "ns" then obj = vnet.netns.open(ctx.a_name) end
      if obj == nil then return end
      local fields = S.fields(obj)
      if short == "ns" then fields = { "name", "path", "id", "closed" } end
      if k == "?" then k = #fields > 0 and pick(fields) or "name" end
      if state == "released" then
        local mt = getmetatable(obj)
        pcall(mt.__close or mt.__gc, obj)
      elseif state == "deleted_or_closed" then
        if short == "ns" then obj:close() else pcall(obj.delete, obj) end
      end
      local tname = getmetatable(obj).__name
      judge(tname .. ".__index", "obj[" .. lab(k) .. "]", pcall(function() return obj[k] end))
      judge(tname .. ".__tostring", "tostring(obj)", pcall(tostring, obj))
      judge(tname .. ".__newindex", "obj.x = 1", pcall(function() obj[k] = 1 end))
      if short ~= "ns" then judge(tname .. ".totable", "obj:totable()", pcall(function() return obj:totable() end)) end
      dead[#dead + 1] = obj
      if short == "ns" and state == "live" then obj:close() end
      if state == "deleted_or_closed" or state == "released" then ctx:ensure() end
    end
  end

  -- Lifecycle: objects outliving their handle, batches, yields, iterators.
  local methods_of = {}
  for _, e in ipairs(entries) do
    if not e.owner:match("^meta:") and not e.owner:match("^vnet") then
      methods_of[e.owner] = methods_of[e.owner] or {}
      table.insert(methods_of[e.owner], e)
    end
  end
  local function any_call(short, obj, tagged)
    local e = pick(methods_of[short])
    local tpl = S.template(e)
    local args = {}
    if tpl then
      local r = table.pack(pcall(tpl.call, ctx))
      if r[1] then for i = 3, r.n do args[#args + 1] = r[i] end end
    end
    local r = table.pack(pcall(caller(e), methods_tbl(e), obj, table.unpack(args)))
    judge(short .. "." .. e.name, tagged, table.unpack(r, 1, r.n))
    after_call(e, r)
    if tpl and tpl.after then pcall(tpl.after, ctx) end
    return r
  end
  local life = {
    use_after_close = function()
      local h = assert(vnet.netns.open(ctx.a_name))
      local objs = { link = h:link("fa0"), route = S.first(h:routes{ table = 100 }),
                     addr = S.first(h:addrs{ dev = "fa0" }), neigh = S.first(h:neighs{ dev = "fa0" }) }
      local it = h:links()
      h:close()
      judge("links iterator", "after close", pcall(it))
      for short, o in pairs(objs) do any_call(short, o, "after its handle was closed") end
      any_call("ns", h, "closed handle")
    end,
    use_after_delete = function()
      local l = assert(ctx.a:link_add{ name = "fzdel", kind = "veth", peer = "fzdel1" })
      local r = ctx.a:route_add{ dst = "10.8.9.0/24", dev = "fzdel", table = 102 }
      assert(l:delete())
      any_call("link", l, "deleted link")
      if r then any_call("route", r, "route of a deleted link") end
    end,
    use_after_collect = function()
      local short = pick{ "link", "route", "addr", "rule", "neigh" }
      local o = live(short)
      if not o then return end
      local mt = getmetatable(o)
      if mt.__gc then mt.__gc(o) end
      if mt.__close then mt.__close(o) end
      if mt.__gc then mt.__gc(o) end
      any_call(short, o, "after __gc/__close")
      judge(short .. " tostring", "after release", pcall(tostring, o))
      judge(short .. " __eq", "after release", pcall(function() return o == live(short) end))
    end,
    namespace_deleted = function()
      local n = prefix .. "x" .. cur
      local h = assert(vnet.netns.add(n))
      local l = h:link("lo")
      judge("netns.delete", "handle", pcall(vnet.netns.delete, h))
      any_call("link", l, "namespace deleted")
      any_call("ns", h, "namespace deleted")
      h:close(); collectgarbage()
    end,
    across_namespaces = function()
      local lb, la = ctx.b:link("fb0"), ctx.a:link("fa0")
      local rb = S.first(ctx.b:routes())
      local tries = {
        { "route_add", function() return ctx.a:route_add{ dst = "10.4.0.0/24", dev = lb } end },
        { "set", function() return la:set{ master = lb } end },
        { "link_add", function() return ctx.a:link_add{ name = "fzx", kind = "veth", peer = "fzx1", master = lb } end },
        { "neigh_add", function() return ctx.a:neigh_add{ dst = "10.7.0.30", lladdr = "02:00:00:00:00:30", dev = lb } end },
        { "rule_add", function() return ctx.a:rule_add{ iif = lb, table = 5, priority = 2000 } end },
        { "addr_add", function() return ctx.a:addr_add{ dev = lb, address = "10.4.0.1/24" } end },
        { "route_get", function() return ctx.a:route_get("10.6.0.5", { oif = lb }) end },
        { "links", function() return ctx.a:links{ master = lb } end },
        { "route_del", function() return ctx.a:route_del{ dst = "10.5.0.0/24", dev = lb } end },
        { "batch", function() return ctx.a:batch(function(n) n:route_add{ dst = "10.4.1.0/24", dev = lb } end) end },
        { "route.delete", function() return rb and rb:delete() or true end },
        { "set", function() return la:set{ netns = ctx.b, name = "fzmoved" } end },
      }
      local i = R(#tries)
      judge("ns." .. tries[i][1], "an object of another namespace", pcall(tries[i][2]))
      pcall(function() local x = ctx.b:link("fzmoved"); if x then x:delete() end end)
      pcall(function() local x = ctx.a:link("fzx"); if x then x:delete() end end)
      pcall(function() ctx.a:rule_del{ table = 5, priority = 2000 } end)
    end,
    batch_errors = function()
      local how = R(6)
      local r = table.pack(pcall(ctx.a.batch, ctx.a, function(n)
        n:route_add{ dst = "10.8.20.0/24", dev = "fa0", table = 103 }
        n:route_add{ dst = "10.8.20.0/24", dev = "fa0", table = 103 }    -- EEXIST
        n:link_add{ name = "fa0", kind = "veth", peer = "fa1" }           -- EEXIST
        n:route_del{ dst = "10.8.99.0/24", table = 103 }                   -- ESRCH
        if how == 1 then error("fuzz: " .. SENTINEL) end
        if how == 2 then error(SENT_T) end
        if how == 3 then n:route_add{ dst = "10.8.21.0/24", bogus = 1 } end
        if how == 4 then collectgarbage() end
      end))
      judge(how == 3 and "ns.route_add" or "ns.batch", "with failures (" .. how .. ")", table.unpack(r, 1, r.n))
      if r[1] and r[2] == nil and type(r[5]) ~= "table" then
        finding("bad-failure-triple", "ns.batch", "no failures list", "failures list missing: " .. tostring(r[5]))
      end
      pcall(ctx.a.route_del, ctx.a, { dst = "10.8.20.0/24", table = 103 })
    end,
    close_inside_batch = function()
      local h = assert(vnet.netns.open(ctx.a_name))
      local how = R(3)
      local r = table.pack(pcall(h.batch, h, function(n)
        n:route_add{ dst = "10.8.30.0/24", dev = "fa0", table = 104 }
        if how == 1 then n:close() end
        if how == 2 then getmetatable(n).__gc(n) end
        if how == 3 then vnet.netns.delete(vnet.netns.add(prefix .. "c" .. cur)) end
        n:route_add{ dst = "10.8.31.0/24", dev = "fa0", table = 104 }
      end))
      judge("ns.batch", "close inside (" .. how .. ")", table.unpack(r, 1, r.n))
      any_call("ns", h, "after close inside batch")
      pcall(h.close, h)
      for _, d in ipairs{ "10.8.30.0/24", "10.8.31.0/24" } do pcall(ctx.a.route_del, ctx.a, { dst = d, table = 104 }) end
    end,
    yields = function()
      local how = R(4)
      local co = coroutine.create(function()
        if how == 1 then
          return ctx.a:batch(function(n) n:route_add{ dst = "10.8.40.0/24", dev = "fa0", table = 105 }; coroutine.yield(1) end)
        elseif how == 2 then
          for r in ctx.a:routes{ table = "all" } do local _ = r.dst; coroutine.yield(r) end
        elseif how == 3 then
          for l in ctx.a:links() do coroutine.yield(l) end
        else
          return ctx.a:batch(function(n) for l in n:links() do coroutine.yield(l) end end)
        end
      end)
      local steps = R(4)
      for _ = 1, steps do
        local r = table.pack(coroutine.resume(co))
        judge("coroutine with vnet", "yield case " .. how, table.unpack(r, 1, r.n))
        if coroutine.status(co) == "dead" then break end
        if R(2) == 1 then collectgarbage() end
      end
      -- the coroutine is abandoned here, suspended or not
      pcall(ctx.a.route_del, ctx.a, { dst = "10.8.40.0/24", table = 105 })
    end,
    nested_batch = function()
      local how = R(3)
      local r = table.pack(pcall(ctx.a.batch, ctx.a, function(n)
        if how == 1 then return n:batch(function(m) m:route_add{ dst = "10.8.50.0/24", dev = "fa0", table = 106 } end) end
        if how == 2 then return ctx.b:batch(function(m) m:route_add{ dst = "10.8.51.0/24", dev = "fb0", table = 106 } end) end
        n:route_add{ dst = "10.8.52.0/24", dev = "fa0", table = 106 }
        local ok = n:exec{ "true" }
        return ok
      end))
      judge("ns.batch", "nested (" .. how .. ")", table.unpack(r, 1, r.n))
      for _, d in ipairs{ "10.8.50.0/24", "10.8.52.0/24" } do pcall(ctx.a.route_del, ctx.a, { dst = d, table = 106 }) end
      pcall(ctx.b.route_del, ctx.b, { dst = "10.8.51.0/24", table = 106 })
    end,
    iterators = function()
      local its = {}
      local makers = {
        function() return ctx.a:links() end, function() return ctx.a:routes{ table = "all" } end,
        function() return ctx.a:addrs() end, function() return ctx.a:rules() end,
        function() return ctx.a:neighs() end, function() return vnet.netns.list() end,
        function() return ctx.b:links() end,
      }
      for i = 1, R(4) do its[i] = makers[R(#makers)]() end
      for _ = 1, R(20) do
        local it = its[R(#its)]
        local r = table.pack(pcall(it))
        judge("iterator", "interleaved", table.unpack(r, 1, r.n))
        if R(10) == 1 then collectgarbage() end
        if R(15) == 1 then
          local l = ctx.a:link_add{ name = "fzit", kind = "veth", peer = "fzit1" }
          if l then l:delete() end
        end
      end
      -- the rest are abandoned
    end,
  }
  local life_names = {}
  for k in pairs(life) do life_names[#life_names + 1] = k end
  table.sort(life_names)
  cases.lifecycle = function()
    local k = pick(life_names)
    return "lifecycle " .. k, function() life[k]() end
  end

  -- exec: hostile programs
  local has_timeout
  cases.exec = function()
    local k = R(4)
    if k == 1 then
      local n = pick{ 1, 70000, 1 << 20 }
      return ("exec stdin of %d bytes to a program that closed its stdin"):format(n), function()
        judge("ns.exec", "closed stdin", pcall(ctx.a.exec, ctx.a, { "sh", "-c", "exec 0<&-; exit 0", stdin = ("x"):rep(n) }))
      end
    elseif k == 2 then
      local cap = R(3) ~= 1
      return "exec flood: head -c 20000000 /dev/zero, capture " .. tostring(cap), function()
        judge("ns.exec", "flood", pcall(ctx.a.exec, ctx.a, { "head", "-c", "20000000", "/dev/zero", capture = cap }))
      end
    elseif k == 3 then
      return "exec a program that never exits, timeout = 0.3", function()
        if has_timeout == nil then
          local ok, err = pcall(ctx.a.exec, ctx.a, { "true", timeout = 1 })
          has_timeout = ok or not tostring(err):find("unknown option 'timeout'", 1, true)
        end
        if not has_timeout then emit("N", cur, "exec-timeout"); return end
        local t0 = os.time()
        judge("ns.exec", "never exits", pcall(ctx.a.exec, ctx.a, { "sleep", "1000", timeout = 0.3 }))
        if os.time() - t0 > 5 then finding("hang", "ns.exec", "timeout", "timeout = 0.3 took " .. (os.time() - t0) .. " s") end
      end
    else
      local o = { "sh", "-c", "echo out; echo err >&2; exit 3" }
      local m = R(4)
      if m == 1 then o.stdin = ("y"):rep(R(200000)) elseif m == 2 then o.cwd = "/nonexistent" elseif m == 3 then o.env = { FZ = ("v"):rep(100000) } else o.clearenv = true end
      return "exec " .. lab(o):sub(1, 120), function()
        judge("ns.exec", "plain", pcall(ctx.a.exec, ctx.a, o))
      end
    end
  end

  local kinds_w = { "call", "call", "call", "call", "call", "call", "field", "lifecycle", "lifecycle", "exec" }

  -- the planning child writes the sweep's slots to a file the others read,
  -- so that each child does not find them again
  local slots
  local plan_file = os.getenv("VNET_FUZZ_PLAN")
  if first_case == 0 or not plan_file then
    slots = sweep_slots()
    if plan_file then
      local f = assert(io.open(plan_file, "w"))
      for _, sl in ipairs(slots) do
        f:write(("%s\t%s\t%s\t%s\n"):format(fname_of(sl.e), sl.how, tostring(sl.p or sl.k or ""), tostring(sl.real)))
      end
      f:close()
    end
  else
    local byname = {}
    for _, e in ipairs(all) do byname[fname_of(e)] = e end
    slots = {}
    for line in io.lines(plan_file) do
      local fn, how, pk, real = line:match("^(.-)\t(.-)\t(.-)\t(.-)$")
      -- an entry this child does not have (a metatable made on first use
      -- elsewhere) leaves its slot empty
      local sl = { e = byname[fn] or { owner = "missing", name = fn }, how = byname[fn] and how or "missing",
                   real = real == "true" }
      if how == "arg" then sl.p = tonumber(pk) elseif how == "opt" then sl.k = pk end
      slots[#slots + 1] = sl
    end
  end
  if first_case == 0 then
    emit("P", #slots)
    ctx:teardown()
    return
  end
  skip_case, skip_steps = first_case, first_step or 0
  for i = first_case, last_case do
    cur = i
    math.randomseed(seed * 1000003 + i)
    local kind, desc, run
    if i <= #slots then
      kind = "sweep"
      desc, run = run_slot(slots[i])
    else
      kind = pick(kinds_w)
      desc, run = cases[kind]()
    end
    emit("C", i, kind, (desc:gsub("\n", "\\n")))
    local ok, err = pcall(run)
    if not ok then finding("fuzzer-error", kind, norm(err), err) end
    local eok, eerr = pcall(ctx.ensure, ctx)
    if not eok then
      finding("fixture-broken", kind, norm(eerr), eerr)
      pcall(ctx.teardown, ctx)
      ctx = S.fixture(prefix)
      ctx:ensure()
    end
    if i % 20 == 0 then dead = {}; collectgarbage() end
  end
  dead = nil
  ctx:teardown()
  ctx = nil
  collectgarbage(); collectgarbage()
  emit("D")
  -- exit without closing the state, so that vnet/core.so stays loaded and a
  -- leak report names its functions
  os.exit(0, false)
end

-------------------------------------------------------------------------------
-- The parent
-------------------------------------------------------------------------------
local function sh(cmd)
  local p = io.popen(cmd)
  local s = p:read("*a")
  p:close()
  return s
end

-- what the fuzzer could leave in the root namespace: namespaces and netns
-- mounts with its prefix, links whose names it uses
-- names an odd value becomes once truncated at a NUL or converted from a number
local odd_names = {}
for _, n in ipairs{ "a", "fa0", "1e3", "0x10", "5", " 5", "-1", "0", "1.5", "inf", "-inf", "nan", "-nan",
                    "2147483648", "-2147483648", "4294967296", "4294967297", "9.007199254741e+15",
                    "9.2233720368548e+18", "9223372036854775807", "-9223372036854775808" } do
  odd_names[n] = true
end
local preexisting = {}
local function root_state(prefix)
  local out = {}
  for line in sh("ip netns list 2>/dev/null"):gmatch("[^\n]+") do
    local n = line:match("^(%S+)")
    if n and (n:sub(1, #prefix) == prefix or odd_names[n]) then out[#out + 1] = "netns " .. n end
  end
  for line in sh("ip -o link show 2>/dev/null"):gmatch("[^\n]+") do
    local n = line:match("^%d+: ([^:@]+)")
    if n and (n:match("^f[abz]") or n:match("^g%d+x%d+$")) then out[#out + 1] = "link " .. n end
  end
  for line in io.lines("/proc/mounts") do
    local m = line:match("^%S+ (/run/netns/%S+)")
    if m and m:sub(12, 11 + #prefix) == prefix then out[#out + 1] = "mount " .. m end
  end
  table.sort(out)
  return out
end

local function remove_prefixed(prefix)
  for line in sh("ip netns list 2>/dev/null"):gmatch("[^\n]+") do
    local n = line:match("^(%S+)")
    if n and (n:sub(1, #prefix) == prefix or (odd_names[n] and not preexisting[n])) then os.execute("ip netns delete '" .. n .. "' 2>/dev/null") end
  end
end

-- The frames of a sanitizer report that are vnet's (or the first ones).
local function asan_summary(text)
  local kind = text:match("ERROR: (%w+Sanitizer: [%w%-]+)") or text:match("(LeakSanitizer: detected memory leaks)")
  if not kind then return nil end
  local frames = {}
  local start = text:find("ERROR: %w+Sanitizer")
  for fn, file in text:sub(start or 1):gmatch("#%d+ 0x%x+ in (%S+) (%S+)") do
    if file:match("csrc/") then frames[#frames + 1] = fn .. " " .. file:gsub("^.*/csrc/", "csrc/") end
    if #frames >= 4 then break end
  end
  if #frames == 0 then
    for fn in text:sub(start or 1):gmatch("#%d+ 0x%x+ in (%S+)") do
      frames[#frames + 1] = fn
      if #frames >= 4 then break end
    end
  end
  return kind, frames
end

local function parent()
  local seed = tonumber(os.getenv("VNET_FUZZ_SEED") or "") or 1
  local ncases = tonumber(os.getenv("VNET_FUZZ_CASES") or "") or 2000
  local budget = tonumber(os.getenv("VNET_FUZZ_SECONDS") or "") or 150
  local chunk = tonumber(os.getenv("VNET_FUZZ_CHUNK") or "") or 100
  local verbose = os.getenv("VNET_FUZZ_VERBOSE") == "1"
  local lua = arg[-1] or "lua5.4"
  local script = arg[0]
  local prefix = ("vnfz%d-"):format(self_pid())
  local logdir = os.getenv("VNET_FUZZ_LOGDIR") or "build/test-logs/fuzz"
  os.execute("mkdir -p " .. logdir)
  local before = root_state(prefix)
  for line in sh("ip netns list 2>/dev/null"):gmatch("[^\n]+") do
    local n = line:match("^(%S+)")
    if n then preexisting[n] = true end
  end
  local t0 = os.time()

  local counts = { cases = 0, crashes = 0, sanitizer = 0, bad = 0, leftovers = 0, notrun = 0 }
  local findings, order = {}, {}
  local function add(kind, fn, key, case, desc, detail)
    local k = kind .. "|" .. fn .. "|" .. key
    if not findings[k] then
      findings[k] = { kind = kind, fn = fn, key = key, case = case, desc = desc, detail = detail, n = 0 }
      order[#order + 1] = k
    end
    findings[k].n = findings[k].n + 1
  end

  -- runs cases a..b in one child; returns what happened
  local nchild = 0
  local function run(a, b, from_step)
    nchild = nchild + 1
    local cprefix = prefix .. nchild .. "-"
    local errlog = ("%s/child%d.err"):format(logdir, nchild)
    -- freed memory is filled (0x55), so that a freed string handed to the
    -- kernel shows as a wrong name even where the sanitizer does not look
    local cmd = ("VNET_FUZZ_PLAN=%s/plan ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:max_free_fill_size=4096 exec %s %s child %d %d %d %s %d 2>%s"):format(
      logdir, lua, script, seed, a, b, cprefix, from_step or 0, errlog)
    local p = io.popen(cmd)
    local res = { last = a - 1, descs = {}, inproc = {}, done = false, notrun = 0 }
    for line in p:lines() do
      local tag, rest = line:match("^(%u) ?(.*)$")
      if tag == "C" then
        local i, desc = rest:match("^(%d+) (.*)$")
        res.last = tonumber(i); res.descs[res.last] = desc; res.step = nil
        if verbose then io.stderr:write(line, "\n") end
      elseif tag == "F" then
        local i, kind, fn, key, detail = rest:match("^(%d+) (%S+) (.-) | (.-) | (.*)$")
        res.inproc[#res.inproc + 1] = { case = tonumber(i), kind = kind, fn = fn, key = key, detail = detail,
                                        desc = res.descs[tonumber(i)] }
      elseif tag == "N" then
        res.notrun = res.notrun + 1
      elseif tag == "V" then
        res.step = tonumber(rest:match("%d+ (%d+)"))
      elseif tag == "P" then
        res.plan = tonumber(rest)
      elseif tag == "D" then
        res.done = true
      end
    end
    local _, how, code = p:close()
    local f = io.open(errlog)
    res.err = f and f:read("*a") or ""
    if f then f:close() end
    res.how, res.code = how, code
    res.prefix = cprefix
    return res
  end

  -- the sweep's size (every entry x argument x key), found by a child
  local plan = run(0, 0)
  remove_prefixed(plan.prefix)
  if not plan.plan then
    io.stderr:write(plan.err)
    print("fuzz: the planning child failed (" .. tostring(plan.how) .. " " .. tostring(plan.code) .. ")")
    print(("fuzz: seed %d, 0 cases, 1 crashes, 0 sanitizer reports, 0 bad errors, 0 leftovers"):format(seed))
    os.exit(1)
  end
  local nsweep = plan.plan
  ncases = nsweep + ncases
  local i = 1
  local resume_step
  local resumed = {}
  local stopped
  while i <= ncases do
    if os.time() - t0 >= budget then stopped = i; break end
    local b = math.min(ncases, i + chunk - 1)
    local r = run(i, b, resume_step)
    resume_step = nil
    counts.notrun = counts.notrun + r.notrun
    for _, f in ipairs(r.inproc) do
      counts.bad = counts.bad + 1
      add(f.kind, f.fn, f.key, f.case, f.desc, f.detail)
    end
    local kind, frames = asan_summary(r.err)
    if not r.done then
      -- the child died in case r.last (or before its first)
      local at = math.max(r.last, i)
      counts.cases = counts.cases + (at - i + 1)
      if kind then
        counts.sanitizer = counts.sanitizer + 1
        add("sanitizer", kind, table.concat(frames, " < "), at, r.descs[at], r.err:match("(ERROR: [^\n]*)") or "")
      else
        counts.crashes = counts.crashes + 1
        local signames = { [6] = "SIGABRT", [9] = "SIGKILL", [11] = "SIGSEGV", [13] = "SIGPIPE", [7] = "SIGBUS" }
        local why = r.how == "signal" and ("killed by " .. (signames[r.code] or ("signal " .. tostring(r.code))))
                    or ("exit " .. tostring(r.code))
        local last = r.err:match("([^\n]+)\n?$") or ""
        local d = r.descs[at] or "?"
        local fn = d:match("^(%S+)")
        if fn == "call" or fn == "sweep" or fn == "field" or fn == "lifecycle" then fn = d:match("^%S+ (%S+)") end
        if fn == "exec" then fn = "ns.exec" end
        add("crash", fn or "?", why .. (last ~= "" and (": " .. last) or ""),
            at, r.descs[at], r.err:sub(-400))
      end
      remove_prefixed(r.prefix)
      resumed[at] = (resumed[at] or 0) + 1
      if r.step and r.last == at and resumed[at] <= 8 then
        -- the same sweep case goes on after the step that crashed (8 times at
        -- most: a call that crashes at every value would eat the budget)
        i, resume_step = at, r.step
        counts.cases = counts.cases - 1
      else
        i = at + 1
      end
    else
      counts.cases = counts.cases + (b - i + 1)
      if kind then
        -- a leak reported at exit: find the case by running them one by one
        counts.sanitizer = counts.sanitizer + 1
        local who
        for j = i, b do
          if os.time() - t0 >= budget + 60 then break end
          local rj = run(j, j)
          remove_prefixed(rj.prefix)
          if asan_summary(rj.err) then who = j; frames = select(2, asan_summary(rj.err)); break end
        end
        add("sanitizer", kind, table.concat(frames, " < "), who or i, who and r.descs[who] or
            ("one of cases %d-%d (none alone)"):format(i, b), "")
      end
      local left = root_state(r.prefix)
      if #left > 0 then
        counts.leftovers = counts.leftovers + #left
        add("leftover", "fixture", table.concat(left, ", "), b, "after cases " .. i .. "-" .. b, "")
        remove_prefixed(r.prefix)
      end
      i = b + 1
    end
  end
  -- leftovers in the root namespace the fuzzer's names could be
  local after = root_state(prefix)
  local seen = {}
  for _, s in ipairs(before) do seen[s] = true end
  for _, s in ipairs(after) do
    if not seen[s] then
      counts.leftovers = counts.leftovers + 1
      add("leftover", "root namespace", s, 0, "at the end", "")
    end
  end
  remove_prefixed(prefix)

  local total = counts.crashes + counts.sanitizer + counts.bad + counts.leftovers
  for _, k in ipairs(order) do
    local f = findings[k]
    print(("finding: %s in %s (%d times): %s"):format(f.kind, f.fn, f.n, f.key))
    print(("  first at case %d: %s"):format(f.case, f.desc or "?"))
    if f.detail and f.detail ~= "" then print("  " .. f.detail:gsub("\n", "\n  ")) end
    print(("  rerun: VNET_FUZZ_PLAN=%s/plan %s %s child %d %d %d %sr-"):format(logdir, lua, script, seed, f.case, f.case, prefix))
  end
  if stopped then
    print(("fuzz: time budget of %d s reached before case %d"):format(budget, stopped))
  end
  if counts.notrun > 0 then
    print(("fuzz: %d exec cases not runnable (exec has no 'timeout' option)"):format(counts.notrun))
  end
  print(("fuzz: sweep of %d slots (each public call x each argument and option key x %d odd values), then random cases"):format(nsweep, 45))
  print(("fuzz: seed %d, %d cases, %d crashes, %d sanitizer reports, %d bad errors, %d leftovers (%d s)"):format(
    seed, counts.cases, counts.crashes, counts.sanitizer, counts.bad, counts.leftovers, os.time() - t0))
  os.exit(total == 0 and 0 or 1)
end

if arg and arg[1] == "child" then
  child(tonumber(arg[2]), tonumber(arg[3]), tonumber(arg[4]), arg[5], tonumber(arg[6]))
else
  parent()
end

