-- The luv tier of `make test`: vnet driven by libuv's loop (Debian's
-- lua-luv), with no blocking call. A monitor's fd and a spawned process's
-- fds (stdin, stdout, exit) each get a uv poll handle; the process is fed
-- and read, its exit and the events it causes come through the loop, and a
-- timer keeps ticking meanwhile (the loop was never blocked).
--   lua5.4 spec/hosts/luv.lua   (as root; prints "luv: ok" and exits 0)
package.path = "./?.lua;lua/?.lua;" .. package.path
local uv = require "luv"
local vnet = require "vnet"

local function fail(msg) io.stderr:write("luv: FAIL ", msg, "\n"); os.exit(1) end

-- an unnamed namespace: it vanishes with its handle, whatever happens
local ns = assert(vnet.netns.new())
local mon = assert(ns:monitor{ "link" })
local p = assert(ns:spawn{ "sh", "-c",
  "read x; echo got $x; sleep 0.3; ip link add lv0 type veth peer name lv1; echo made; " ..
  "echo to-stderr >&2; exit 5", stdin = "pipe" })

local seen, out, err, result, ticks = {}, {}, {}, nil, 0
local handles = {}
local function poll(fd, events, cb)
  local h = uv.new_poll(fd)
  h:start(events, function(e, ev) if e then fail(e) end cb(h, ev) end)
  handles[#handles + 1] = h
  return h
end

local function done()
  return result and seen.lv0 and seen.lv1 and out.eof and err.eof
end
local function finish()
  if not done() then return end
  for _, h in ipairs(handles) do if not h:is_closing() then h:stop(); h:close() end end
end

poll(mon.fd, "r", function()
  while true do
    local ev, msg = mon:read()
    if msg then fail("monitor: " .. msg) end
    if not ev then break end
    if ev.kind == "link" and ev.type == "new" and ev.object then seen[ev.object.name] = true end
  end
  finish()
end)
poll(p.stdin_fd, "w", function(h)
  local n = p:write("hello\n")
  if n ~= 6 then fail("write took " .. tostring(n)) end
  h:stop()
  h:close()
  p:close_stdin()
end)
for _, s in ipairs{ { "stdout", out }, { "stderr", err } } do
  poll(p[s[1] .. "_fd"], "r", function(h)
    while true do
      local d = p:read(s[1])
      if d == nil then s[2].eof = true; h:stop(); break end
      if d == "" then break end
      s[2][#s[2] + 1] = d
    end
    finish()
  end)
end
poll(p.fd, "r", function(h)
  local ok, code, how = p:wait(0)
  if ok == nil and code == "timeout" then return end   -- not yet
  result = { ok, code, how }
  h:stop()
  finish()
end)
local tick = uv.new_timer()
tick:start(20, 20, function() ticks = ticks + 1 end)
local watchdog = uv.new_timer()
watchdog:start(20000, 0, function() fail("nothing finished within 20 s") end)

while not done() do uv.run("once") end
tick:close()
watchdog:close()
uv.run("nowait")
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
print(("luv: ok (events lv0 lv1, stdout, stderr, exit 5, %d ticks)"):format(ticks))
