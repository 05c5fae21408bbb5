-- An iperf3 run across a bridge: two hosts on one switch, a TCP test of a
-- second, and the throughput the kernel moved through the veths and bridge.
--
--   h1 10.0.9.1 ── sw ── h2 10.0.9.2
--
--   lua5.4 examples/iperf_bridge.lua up | iperf | down
-- from a checkout, find its lua/ and vnet/core.so (an installed vnet, or LUA_PATH
-- and LUA_CPATH, come first)
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"
local topo = require "vnet.topology"

local net = topo.new{ name = "iperf" }
local h1, h2 = net:host("h1"), net:host("h2")
local sw = net:switch("sw", { subnet = "10.0.9.0/24" })
net:link(h1, sw)
net:link(h2, sw)

local function iperf(n, seconds)
  local server = n:addr(h2)
  -- one test, then the server exits; -D puts it in the background
  local ok, _, err = n:exec(h2, { "iperf3", "-s", "-1", "-D", "-B", server }, { capture = true })
  if not ok then return nil, "iperf3 -s: " .. tostring(err) end
  local out
  for _ = 1, 50 do                        -- until the server listens
    ok, out = n:exec(h1, { "iperf3", "-c", server, "-t", tostring(seconds or 1), "-J" }, { capture = true })
    if ok then break end
    os.execute("sleep 0.1")
  end
  if not ok then return nil, "iperf3 -c: " .. tostring(out) end
  local bps = tonumber(out:match('"sum_received"%s*:%s*{.-"bits_per_second"%s*:%s*([%d.e+]+)'))
  if not bps or bps <= 0 then return nil, "iperf3 reported no throughput" end
  print(("h1 -> h2 across the bridge: %.2f Gbit/s"):format(bps / 1e9))
  return true
end

return net:main(arg, { iperf = iperf })
