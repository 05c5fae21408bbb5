-- The cqueues tier of `make test`: vnet driven by a cqueues loop (Debian's
-- lua-cqueues), with no blocking call. One coroutine per descriptor (the
-- monitor's fd, a spawned process's stdin, stdout, stderr and exit fd)
-- waits with cqueues.poll and then calls vnet without blocking; a ticker
-- coroutine shows the loop was never blocked.
--   lua5.4 spec/hosts/cqueues.lua   (as root; prints "cqueues: ok" and exits 0)
package.path = "./?.lua;lua/?.lua;" .. package.path
local cqueues = require "cqueues"
local S = require "spec.hosts.scenario"("cqueues", "cq")
local p = S.p

-- what cqueues.poll waits on: an object that names a descriptor and events
local function pollable(fd, events)
  return { pollfd = function() return fd end, events = function() return events end }
end

local cq = cqueues.new()
cq:wrap(function()
  local m = pollable(S.mon.fd, "r")
  while not S.events_seen() do
    cqueues.poll(m)
    S.on_monitor()
  end
end)
cq:wrap(function()
  cqueues.poll(pollable(p.stdin_fd, "w"))
  S.on_stdin()
  -- cqueues keeps a descriptor it polled registered: let go of it first
  cqueues.cancel(p.stdin_fd)
  p:close_stdin()
end)
for _, which in ipairs{ "stdout", "stderr" } do
  cq:wrap(function()
    local r = pollable(p[which .. "_fd"], "r")
    repeat cqueues.poll(r) until S.on_output(which)
  end)
end
cq:wrap(function()
  local x = pollable(p.fd, "r")
  repeat cqueues.poll(x) until S.on_exit()
end)
cq:wrap(function()
  while not S.done() do cqueues.sleep(0.02); S.ticks = S.ticks + 1 end
end)

local t0 = cqueues.monotime()
while not S.done() do
  local ok, e = cq:step(1)
  if not ok then S.fail(tostring(e)) end
  if cqueues.monotime() - t0 > 20 then S.fail("nothing finished within 20 s") end
end
S.check()
