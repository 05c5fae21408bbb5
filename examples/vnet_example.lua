-- What the single-kind examples (vlan, vxlan, macvlan, ipvlan, tap_bridge,
-- ipip, gre) share: scratch namespaces under one prefix, steps that print
-- what they did and raise when it failed, and a run that removes everything
-- the example made, worked or not.
--
--   local step, netns, run_example = require "vnet_example" ("vnet-vlan-")
--   ...
--   run_example("vlan", run, "each VLAN carried its own traffic")
local vnet = require "vnet"

return function(prefix)
  local handles = {}

  -- ok is what a vnet call returned; on failure raises "<what>: <msg>"
  local function step(what, ok, msg)
    if not ok then error(what .. ": " .. tostring(msg), 0) end
    print("  " .. what)
    return ok
  end

  local function netns(name)
    local ns = step("ip netns add " .. prefix .. name, vnet.netns.add(prefix .. name))
    handles[#handles + 1] = ns
    return ns
  end

  local function mine()
    local t = {}
    for n in vnet.netns.list() do
      if n:sub(1, #prefix) == prefix then t[#t + 1] = n end
    end
    return t
  end

  -- the example's namespaces go, after what still runs in them (a server)
  local function teardown()
    for _, ns in ipairs(handles) do ns:close() end
    handles = {}
    for _, n in ipairs(mine()) do
      local h = vnet.netns.open(n)
      local pids = h and h:pids()
      if pids and #pids > 0 then os.execute("kill " .. table.concat(pids, " ") .. " 2>/dev/null") end
      if h then h:close() end
      vnet.netns.delete(n)
    end
  end

  -- runs body, removes everything, exits non-zero when body failed or
  -- something was left behind
  local function run_example(name, body, done)
    teardown()   -- leftovers of an interrupted run
    local ok, err = pcall(body)
    print("teardown")
    teardown()
    for _, n in ipairs(mine()) do
      print("left behind: " .. n)
      os.exit(1)
    end
    if not ok then
      io.stderr:write(name, ": ", tostring(err), "\n")
      os.exit(1)
    end
    print("done: " .. done)
  end

  return step, netns, run_example
end
