-- The luv tier of `make test`: vnet driven by libuv's loop (Debian's
-- lua-luv), with no blocking call. A monitor's fd and a spawned process's
-- fds (stdin, stdout, stderr, exit) each get a uv poll handle; the process is
-- fed and read, its exit and the events it causes come through the loop, and
-- a timer keeps ticking meanwhile (the loop was never blocked).
--   lua5.4 spec/hosts/luv.lua   (as root; prints "luv: ok" and exits 0)
package.path = "./?.lua;lua/?.lua;" .. package.path
local uv = require "luv"
local S = require "spec.hosts.scenario"("luv", "lv")
local p = S.p

local handles = {}
local function poll(fd, events, cb)
  local h = uv.new_poll(fd)
  h:start(events, function(e) if e then S.fail(e) end cb(h) end)
  handles[#handles + 1] = h
end
-- once everything is in, every handle goes
local function finish()
  if not S.done() then return end
  for _, h in ipairs(handles) do if not h:is_closing() then h:stop(); h:close() end end
end

poll(S.mon.fd, "r", function() S.on_monitor(); finish() end)
poll(p.stdin_fd, "w", function(h)
  S.on_stdin()
  h:stop()
  h:close()
  p:close_stdin()
end)
for _, which in ipairs{ "stdout", "stderr" } do
  poll(p[which .. "_fd"], "r", function(h)
    if S.on_output(which) then h:stop() end
    finish()
  end)
end
poll(p.fd, "r", function(h)
  if S.on_exit() then h:stop() end
  finish()
end)
local tick = uv.new_timer()
tick:start(20, 20, function() S.ticks = S.ticks + 1 end)
local watchdog = uv.new_timer()
watchdog:start(20000, 0, function() S.fail("nothing finished within 20 s") end)

while not S.done() do uv.run("once") end
tick:close()
watchdog:close()
uv.run("nowait")
S.check()
