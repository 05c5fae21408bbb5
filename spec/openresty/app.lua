-- The endpoints of the openresty tier (spec/openresty/run.sh): vnet loaded
-- in nginx's workers the way README's "Embedding" section shows, plus a
-- handle opened in init_by_lua (before the fork) on purpose.
local vnet = require "vnet"

local M = {}

local function count(it)
  local n = 0
  for _ in it do n = n + 1 end
  return n
end

local function say(...)
  ngx.say(...)
end

-- init_by_lua: in the master, before the workers are forked
function M.init()
  M.pre = assert(vnet.netns.current())
  assert(M.pre:links())          -- the master's socket is in use
end

-- init_worker_by_lua: one handle per worker, and a monitor polled by a timer
function M.init_worker()
  M.ns = assert(vnet.netns.current())
  M.ino = M.ns.id
  M.mon = assert(M.ns:monitor{ "link" })
  local events = ngx.shared.events
  local function poll(premature)
    if premature then return end
    while true do
      local ev = M.mon:read()
      if not ev then break end
      if ev.kind == "link" and ev.object then
        events:set(ev.object.name, ev.type)
      end
    end
  end
  assert(ngx.timer.every(0.05, poll))
end

-- /exec?argv=false -> "ok code how"
function M.exec()
  local argv = ngx.var.arg_argv == "kill" and { "sh", "-c", "kill -9 $$" }
               or ngx.var.arg_argv == "nft" and { "nft", "--version" } or { "false" }
  local ok, _, _, code, how = M.ns:exec(argv)
  say(tostring(ok), " ", tostring(code), " ", tostring(how))
end

-- /fds -> the descriptors a program started by exec holds
function M.fds()
  local ok, out = M.ns:exec{ "sh", "-c", "ls /proc/$$/fd" }
  say(tostring(ok), " ", (out:gsub("%s+", " "):gsub(" $", "")))
end

-- /work?i=N -> "ok": what a request of a real application does, every
-- handle closed; every 20th makes links and a namespace of its own
function M.work()
  local i = tonumber(ngx.var.arg_i) or 0
  local name = ("w%d"):format(ngx.worker.pid() % 100000)
  local h = assert(vnet.netns.open{ path = "/proc/self/ns/net", timeout = 5 })
  local a = "10.99." .. (i % 250) .. ".1/32"
  assert(h:addr_add{ dev = "lo", address = a })
  assert(count(assert(h:links())) >= 1)
  assert(h:route_get("10.99." .. (i % 250) .. ".1"))
  assert(h:addr_del{ dev = "lo", address = a })
  if i % 20 == 0 then
    local v = assert(h:link_add{ name = name, kind = "veth", peer = name .. "p" })
    -- a namespace of its own, closed: it ends at once (its veth peer goes
    -- with it)
    local sub = assert(vnet.netns.new())
    assert(h:link_add{ name = name .. "s" .. (i % 1000), kind = "veth",
                       peer = { name = "x", netns = sub } })
    sub:close()
    assert(v:delete())
  end
  h:close()
  say("ok")
end

-- /prefork -> "ok N pid": the handle opened before the fork, used in a
-- worker (a few dumps each request, so that both workers are at it at once)
function M.prefork()
  local n
  for _ = 1, 5 do
    local it, msg, err = M.pre:links()
    if not it then
      say("fail ", tostring(err), " ", tostring(msg))
      return
    end
    local c = count(it)
    if n and c ~= n then
      say("bad ", n, " then ", c)
      return
    end
    n = c
    local lo = M.pre:link("lo")
    if not lo or lo.name ~= "lo" then
      say("bad lo")
      return
    end
  end
  say("ok ", n, " ", ngx.worker.pid())
end

-- /ns -> the inode of the worker's namespace now, and when it started
-- /long -> "done <worker pid> <ok> <code>": a program that runs for seconds,
-- started with spawn and waited for without blocking the worker (a look with
-- p:wait(0) between ngx.sleep()s), as README's Embedding section shows
function M.long()
  local p = assert(M.ns:spawn{ "sleep", "5", stdout = "null", stderr = "null" })
  local ok, code
  repeat
    ngx.sleep(0.05)
    ok, code = p:wait(0)
  until code ~= "timeout"
  p:close()
  say("done ", ngx.worker.pid(), " ", tostring(ok), " ", tostring(code))
end

function M.ns_id()
  local h = assert(vnet.netns.current())
  say(h.id, " ", M.ino)
  h:close()
end

-- /event?name=X -> the last event seen for link X ("new", "del" or "none")
function M.event()
  say(ngx.shared.events:get(ngx.var.arg_name) or "none")
end

return M
