-- What the luv and cqueues tiers (spec/hosts/luv.lua, cqueues.lua) drive,
-- with no blocking call: a monitor of an unnamed namespace (it vanishes
-- with its handle, whatever happens) and a program spawned there that reads
-- a line, makes veth <tag>0/<tag>1 and exits 5. Each loop calls the handlers
-- below when a descriptor is ready, then S.check().
local vnet = require "vnet"

return function(name, tag)
  local S = { seen = {}, out = {}, err = {}, ticks = 0 }

  function S.fail(msg) io.stderr:write(name, ": FAIL ", msg, "\n"); os.exit(1) end

  S.ns = assert(vnet.netns.new())
  S.mon = assert(S.ns:monitor{ "link" })
  S.p = assert(S.ns:spawn{ "sh", "-c",
    ("read x; echo got $x; sleep 0.3; ip link add %s0 type veth peer name %s1; echo made; "
     .. "echo to-stderr >&2; exit 5"):format(tag, tag), stdin = "pipe" })

  function S.events_seen() return S.seen[tag .. "0"] and S.seen[tag .. "1"] end
  function S.done() return S.result and S.events_seen() and S.out.eof and S.err.eof end

  -- mon.fd readable: every event queued
  function S.on_monitor()
    while true do
      local ev, msg = S.mon:read()
      if msg then S.fail("monitor: " .. msg) end
      if not ev then return end
      if ev.kind == "link" and ev.type == "new" and ev.object then S.seen[ev.object.name] = true end
    end
  end
  -- stdin_fd writable: the line, then stdin closed (the caller stops
  -- polling stdin_fd first)
  function S.on_stdin()
    local n = S.p:write("hello\n")
    if n ~= 6 then S.fail("write took " .. tostring(n)) end
  end
  -- stdout_fd / stderr_fd readable: true at the end of the stream
  function S.on_output(which)
    local t = S[which == "stdout" and "out" or "err"]
    while true do
      local d = S.p:read(which)
      if d == nil then t.eof = true; return true end
      if d == "" then return false end
      t[#t + 1] = d
    end
  end
  -- p.fd readable: true once the program's status is in
  function S.on_exit()
    local ok, code, how = S.p:wait(0)
    if ok == nil and code == "timeout" then return false end   -- not yet
    S.result = { ok, code, how }
    return true
  end

  -- closes everything and checks what came through; prints "<name>: ok"
  function S.check()
    S.p:close()
    S.mon:close()
    S.ns:close()
    local o, e, r = table.concat(S.out), table.concat(S.err), S.result
    if o ~= "got hello\nmade\n" then S.fail(("stdout %q"):format(o)) end
    if e ~= "to-stderr\n" then S.fail(("stderr %q"):format(e)) end
    if not (r[1] == false and r[2] == 5 and r[3] == "exit") then
      S.fail("status " .. tostring(r[1]) .. " " .. tostring(r[2]) .. " " .. tostring(r[3]))
    end
    if S.ticks < 5 then S.fail("the loop was blocked (" .. S.ticks .. " ticks)") end
    print(("%s: ok (events %s0 %s1, stdout, stderr, exit 5, %d ticks)"):format(name, tag, tag, S.ticks))
  end
  return S
end
