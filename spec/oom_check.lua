-- Run by the asan tier of `make test` under tools/lua_asan.c (not by busted):
-- every vnet call below is run again and again with the n-th allocation of
-- Lua failing, for every n until the call gets through, so that each point
-- where vnet can meet Lua's "not enough memory" is met once.
-- AddressSanitizer and LeakSanitizer, watching the whole run, must report
-- nothing: what vnet holds in C when Lua raises is freed all the same.
-- usage: lua_asan spec/oom_check.lua   (as root; makes and removes a namespace)
package.path = "./?.lua;lua/?.lua;" .. package.path
assert(oom_try, "run this with tools/lua_asan.c (build/asan/lua_asan)")
local vnet = require "vnet"

local name = ("vnoom%d"):format(math.random(1e6))
local ns = assert(vnet.netns.add(name))
local ok, err = pcall(function()
  assert(ns:link_add{ name = "va", kind = "veth", peer = "vb" })
  assert(ns:link("va"):set{ up = true })
  assert(ns:link("vb"):set{ up = true })
  assert(ns:link("va"):addr_add("10.0.0.1/24"))
  assert(ns:nexthop_add{ id = 1, gateway = "10.0.0.2", dev = "va" })
  assert(ns:nexthop_add{ id = 2, gateway = "10.0.0.3", dev = "va" })
  for i = 1, 300 do assert(ns:route_add{ dst = ("10.1.%d.0/24"):format(i % 256), dev = "va", table = 100 + i // 256 }) end

  local calls = {
    routes = function() for r in assert(ns:routes{ table = 100 }) do local _ = r.dst end end,
    route_add = function()
      local r = ns:route_add{ dst = "10.9.0.0/16", gateway = "10.0.0.2" }
      if r then assert(ns:route_del{ dst = "10.9.0.0/16" }) end
    end,
    route_get = function() assert(ns:route_get("10.0.0.7")) end,
    links = function() for l in assert(ns:links()) do local _ = l.name end end,
    link = function() assert(ns:link("va")) end,
    addrs = function() for a in assert(ns:addrs()) do local _ = a.address end end,
    addr_add = function()
      local a = ns:link("vb"):addr_add("10.0.5.1/24")
      if a then assert(a:delete()) end
    end,
    rules = function() for _ in assert(ns:rules()) do end end,
    neighs = function() for _ in assert(ns:neighs()) do end end,
    nexthop_add = function()
      local n = ns:nexthop_add{ id = 7, group = { 1, { id = 2, weight = 3 } } }
      if n then local _ = n.group; assert(n:delete()) end
    end,
    nexthops = function() for n in assert(ns:nexthops()) do local _ = n.gateway end end,
    fdb_add = function()
      local e = ns:fdb_add{ dev = "vb", lladdr = "02:00:00:00:00:31" }
      if e then local _ = e.lladdr; assert(e:delete()) end
    end,
    fdbs = function() for e in assert(ns:fdbs{ dev = "vb" }) do local _ = e.lladdr end end,
  }
  local order = {}
  for k in pairs(calls) do order[#order + 1] = k end
  table.sort(order)
  for _, k in ipairs(order) do
    local n, done = 0, false
    repeat
      n = n + 1
      done = oom_try(n, calls[k])
      -- whatever the failure left, the handle still works
      assert(ns:link("va"))
    until done or n > 5000
    assert(done, k .. ": never got through")
    print(("%-10s ran with each of its %d allocations failing once"):format(k, n - 1))
  end
  -- the routes a failed route_add may have made are gone or still there;
  -- the kernel's view is read back once more
  for _ in assert(ns:routes{ table = "all" }) do end
end)
ns:close()
vnet.netns.delete(name)
collectgarbage()
if not ok then error(err, 0) end
print("ok")
