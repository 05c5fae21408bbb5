-- The cqueues tier of `make test`: vnet driven by a cqueues loop (Debian's
-- lua-cqueues), with no blocking call. One coroutine per descriptor (the
-- monitor's fd, a spawned process's stdin, stdout, stderr and exit fd)
-- waits with cqueues.poll and then calls vnet without blocking; a ticker
-- coroutine shows the loop was never blocked.
--   lua5.4 spec/hosts/cqueues.lua   (as root; prints "cqueues: ok" and exits 0)
package.path = "./?.lua;lua/?.lua;" .. package.path
local cqueues = require "cqueues"
local vnet = require "vnet"

local function fail(msg) io.stderr:write("cqueues: FAIL ", msg, "\n"); os.exit(1) end

-- what cqueues.poll waits on: an object that names a descriptor and events
local function pollable(fd, events)
  return { pollfd = function() return fd end, events = function() return events end }
end

local ns = assert(vnet.netns.new())   -- unnamed: it vanishes with its handle
local mon = assert(ns:monitor{ "link" })
local p = assert(ns:spawn{ "sh", "-c",
  "read x; echo got $x; sleep 0.3; ip link add cq0 type veth peer name cq1; echo made; " ..
  "echo to-stderr >&2; exit 5", stdin = "pipe" })

local seen, out, err, result, ticks = {}, {}, {}, nil, 0
local cq = cqueues.new()

local function done() return result and seen.cq0 and seen.cq1 and out.eof and err.eof end

cq:wrap(function()
  local m = pollable(mon.fd, "r")
  while not (seen.cq0 and seen.cq1) do
    cqueues.poll(m)
    while true do
      local ev, msg = mon:read()
      if msg then fail("monitor: " .. msg) end
      if not ev then break end
      if ev.kind == "link" and ev.type == "new" and ev.object then seen[ev.object.name] = true end
    end
  end
end)
cq:wrap(function()
  cqueues.poll(pollable(p.stdin_fd, "w"))
  local n = p:write("hello\n")
  if n ~= 6 then fail("write took " .. tostring(n)) end
  -- cqueues keeps a descriptor it polled registered: let go of it first
  cqueues.cancel(p.stdin_fd)
  p:close_stdin()
end)
for _, s in ipairs{ { "stdout", out }, { "stderr", err } } do
  cq:wrap(function()
    local r = pollable(p[s[1] .. "_fd"], "r")
    while true do
      cqueues.poll(r)
      local d = p:read(s[1])
      if d == nil then s[2].eof = true; return end
      s[2][#s[2] + 1] = d
    end
  end)
end
cq:wrap(function()
  local x = pollable(p.fd, "r")
  while true do
    cqueues.poll(x)
    local ok, code, how = p:wait(0)
    if not (ok == nil and code == "timeout") then result = { ok, code, how }; return end
  end
end)
cq:wrap(function()
  while not done() do cqueues.sleep(0.02); ticks = ticks + 1 end
end)

local t0 = cqueues.monotime()
while not done() do
  local ok, e = cq:step(1)
  if not ok then fail(tostring(e)) end
  if cqueues.monotime() - t0 > 20 then fail("nothing finished within 20 s") end
end
p:close()
mon:close()
ns:close()

local o, e = table.concat(out), table.concat(err)
if o ~= "got hello\nmade\n" then fail(("stdout %q"):format(o)) end
if e ~= "to-stderr\n" then fail(("stderr %q"):format(e)) end
if not (result[1] == false and result[2] == 5 and result[3] == "exit") then
  fail("status " .. tostring(result[1]) .. " " .. tostring(result[2]) .. " " .. tostring(result[3]))
end
if ticks < 5 then fail("the loop was blocked (" .. ticks .. " ticks)") end
print(("cqueues: ok (events cq0 cq1, stdout, stderr, exit 5, %d ticks)"):format(ticks))
