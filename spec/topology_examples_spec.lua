-- Every topology example in examples/ is brought up, checked, brought up a
-- second time (which must change nothing), torn down, and nothing of it may
-- remain. The examples run as a user runs them: as scripts, in a new process.
local H = require "spec.helper"

local LUA = rawget(_G, "jit") and "luajit" or "lua5.4"

local function run(path, ...)
  local args = {}
  for i, a in ipairs({ ... }) do args[i] = H.quote(a) end
  local err = os.tmpname()
  local p = assert(io.popen("LUA_PATH=" .. H.quote(package.path) .. " LUA_CPATH=" .. H.quote(package.cpath)
                            .. " " .. LUA .. " " .. H.quote(path) .. " " .. table.concat(args, " ")
                            .. " 2>" .. err .. "; echo \"rc=$?\""))
  local out = p:read("*a")
  p:close()
  local f = io.open(err)
  local e = f and f:read("*a") or ""
  if f then f:close() end
  os.remove(err)
  return tonumber(out:match("rc=(%d+)%s*$")), (out:gsub("rc=%d+%s*$", "")), e
end

local function leftovers(name)
  local _, out = H.sh("ip netns list")
  local left = {}
  for n in out:gmatch("([^%s]+)[^\n]*\n?") do
    if n == name or n:sub(1, #name + 1) == name .. "-" then left[#left + 1] = n end
  end
  return left
end

-- the caller's own links, which no example may touch
local function host_links()
  local t = {}
  for _, l in ipairs(H.ip(nil, "link", "show")) do
    t[#t + 1] = l.ifname .. " " .. l.ifindex .. " " .. tostring(l.master) .. " " .. l.mtu
  end
  table.sort(t)
  return table.concat(t, "\n")
end

local known = {}
for _, k in ipairs(H.vnet.core.kinds()) do known[k] = true end
local probed = {}
local function kernel_has(kind)
  if probed[kind] == nil then
    local ns = H.prefix .. "probe"
    local args = ({ macvlan = "link P type macvlan", ipvlan = "link P type ipvlan",
                    vxlan = "type vxlan id 5 dstport 4789" })[kind] or ("type " .. kind)
    local _, out = H.sh("ip netns add " .. ns .. " && ip -n " .. ns .. " link add P type veth peer name P1"
                        .. " && ip -n " .. ns .. " link add X " .. args .. " 2>/dev/null; echo rc=$?; ip netns delete " .. ns)
    probed[kind] = out:match("rc=(%d+)") == "0"
  end
  if not probed[kind] then return false, "the running kernel has no '" .. kind .. "' links" end
  if not known[kind] then return false, "this build of vnet has no '" .. kind .. "' links" end
  return true
end

-- file, topology name, the command that checks it, the kinds it needs, and
-- what its output must show
local EXAMPLES = {
  { "lab_blue", "lab", "reach", {}, "2/2 pairs ok" },
  { "nat_router", "lab1", "check", {}, "1 received" },
  { "policy_routing", "policy", "check", {}, "h2 -> server: ok, through isp2 (10.2.0.2)" },
  { "router_chain", "chain", "trace", {}, " 5  10.0.4.2     dst" },
  { "iperf_bridge", "iperf", "iperf", {}, "Gbit/s" },
  { "macvlan_hosts", "macvlan", "reach", { "macvlan" }, "12/12 pairs ok" },
  { "ipvlan_hosts", "ipvlan", "reach", { "ipvlan" }, "12/12 pairs ok" },
  { "vxlan_overlay", "vxlan-overlay", "check", { "vxlan" }, "h2 -> 192.168.100.1 over the overlay: ok" },
  { "ipip_servers", "ipip-servers", "check", { "ipip" }, "packets serverA sent into the ipip tunnel" },
  { "gre_servers", "gre-servers", "check", { "gre" }, "packets serverA sent into the gre tunnel" },
}

describe("topology examples", function()
  after_each(H.cleanup)

  for _, ex in ipairs(EXAMPLES) do
    local file, name, check, kinds, expect = ex[1], ex[2], ex[3], ex[4], ex[5]
    local path = "examples/" .. file .. ".lua"
    local desc = file .. ".lua comes up, " .. check .. " passes, and goes without a trace"
    local why
    for _, k in ipairs(kinds) do
      local ok, w = kernel_has(k)
      if not ok then why = w end
    end
    if why and not H.full_kernel then
      pending(desc .. " [" .. why .. "]")
    else
      it(desc, function()
        if why then error("full-kernel tier: " .. why) end
        assert.are.same({}, leftovers(name))
        local before = host_links()
        finally(function() run(path, "down") end)
        local code, out, err = run(path, "up")
        assert.are.equal(0, code, out .. err)
        code, out, err = run(path, "status")
        assert.are.equal(0, code, out .. err)
        assert.truthy(out:find(" 0 missing, 0 different", 1, true), out)
        code, out, err = run(path, check)
        assert.are.equal(0, code, out .. err)
        assert.truthy(out:find(expect, 1, true), out)
        -- a second up finds everything in place
        code, out, err = run(path, "up")
        assert.are.equal(0, code, out .. err)
        code, out = run(path, "dot")
        assert.are.equal(0, code)
        assert.truthy(out:find("^graph \"" .. name:gsub("%-", "%%-") .. "\" {"), out)
        code, out, err = run(path, "down")
        assert.are.equal(0, code, out .. err)
        assert.are.same({}, leftovers(name))
        code = run(path, "status")
        assert.are.equal(1, code)
        assert.are.equal(before, host_links())
      end)
    end
  end

  it("every example script in examples/ that uses vnet.topology is exercised here", function()
    local listed = {}
    for _, ex in ipairs(EXAMPLES) do listed[ex[1] .. ".lua"] = true end
    local _, out = H.sh("grep -l 'vnet.topology' examples/*.lua")
    for f in out:gmatch("examples/([^\n]+)") do
      assert.is_true(listed[f] == true, f .. " is not in the examples spec")
    end
  end)
end)
