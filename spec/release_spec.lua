-- One version, written once (VNET_VERSION in csrc/core.c), and everything
-- that names it agrees: vnet.version, vnet.core.version, the release
-- rockspec (its file name, version, source and build), CHANGELOG.md's
-- newest entry, the tarball `make dist` builds and, when HEAD carries a
-- release tag, that tag and the committed rockspec's md5.
local H = require "spec.helper"

local function slurp(path) return assert(H.slurp(path)) end

local version = slurp("csrc/core.c"):match('\n#define VNET_VERSION "([^"\n]*)"\n')
local rockspec = "rockspec/vnet-" .. tostring(version) .. "-1.rockspec"

-- a rockspec's fields, read as luarocks reads them (a Lua chunk of assignments)
local function fields(path)
  local env = {}
  local chunk = assert(loadstring and loadstring(slurp(path), path)
                       or load(slurp(path), path, "t", env))
  if setfenv then setfenv(chunk, env) end
  chunk()
  return env
end

-- #host_only (the release files): nothing here needs what the host kernel lacks; the VM tier
-- (software emulation, where a process start costs ~100x) leaves them out.
describe("release #host_only", function()
  it("has one version X.Y.Z, which vnet.version and vnet.core.version give", function()
    assert.is_string(version)
    assert.truthy(version:match("^%d+%.%d+%.%d+$"), version)
    local vnet = require "vnet"
    assert.are.equal(version, vnet.version)
    assert.are.equal(version, require("vnet.core").version)
    assert.are.equal(version, vnet.features().version)
  end)

  it("has the release rockspec of that version and no other", function()
    local r = fields(rockspec)
    assert.are.equal("vnet", r.package)
    assert.are.equal(version .. "-1", r.version)
    assert.are.equal("vnet-" .. version, r.source.dir)
    assert.truthy(r.source.url:match("/vnet%-" .. version:gsub("%.", "%%.") .. "%.tar%.gz$"), r.source.url)
    assert.truthy(r.source.md5:match("^%x+$") and #r.source.md5 == 32, r.source.md5)
    local _, out = H.sh("ls rockspec")
    for f in out:gmatch("[^\n]+") do
      assert.is_true(f == "vnet-scm-1.rockspec" or "rockspec/" .. f == rockspec,
                     "rockspec/" .. f .. " is a rockspec of another version")
    end
  end)

  it("has a release rockspec that is the scm rockspec with its version and source", function()
    local r = fields(rockspec)
    local lua = H.lua_cmd()
    local ok, out = H.sh(("%s tools/rockspec.lua %s %s %s"):format(lua, version,
                         H.quote(r.source.url), r.source.md5))
    assert.is_true(ok, out)
    assert.are.equal(out, slurp(rockspec), "make dist writes " .. rockspec .. " again")
  end)

  it("has CHANGELOG.md's newest entry for that version", function()
    local top = slurp("CHANGELOG.md"):match("\n## ([^\n]*)")
    assert.is_string(top)
    assert.are.equal(version, top:match("^(%d+%.%d+%.%d+)"), "CHANGELOG.md: " .. top)
  end)

  it("builds vnet-X.Y.Z.tar.gz from HEAD's tracked files, and a source rock #host_only", function()
    local dir = os.tmpname()
    os.remove(dir)
    local ok, out = H.sh("sh tools/dist.sh " .. H.quote(dir) .. " --check")
    local _, list = H.sh("tar tzf " .. H.quote(dir .. "/vnet-" .. version .. ".tar.gz"))
    local _, files = H.sh("ls " .. H.quote(dir))
    local _, tracked = H.sh("git ls-tree -r --name-only HEAD")
    local rock_ok, rock = H.sh("unzip -l " .. H.quote(dir .. "/vnet-" .. version .. "-1.src.rock"))
    H.sh("rm -rf " .. H.quote(dir))
    assert.is_true(ok, out)
    local want = {}
    for f in tracked:gmatch("[^\n]+") do
      if f ~= rockspec then want[#want + 1] = "vnet-" .. version .. "/" .. f end
    end
    local got = {}
    for f in list:gmatch("[^\n]+") do
      if not f:match("/$") then got[#got + 1] = f end
    end
    table.sort(want)
    table.sort(got)
    assert.are.same(want, got)
    assert.truthy(files:find("manifest\n", 1, true), files)
    assert.is_true(rock_ok, rock)
    assert.truthy(rock:find(" vnet%-" .. version:gsub("%.", "%%.") .. "%.tar%.gz\n"), rock)
  end)

  it("has the version's tag on HEAD when HEAD is tagged, and then the rockspec's md5 is right #host_only", function()
    local ok, tags = H.sh("git tag --points-at HEAD 2>/dev/null")
    if not ok then return end
    local release = false
    for tag in tags:gmatch("[^\n]+") do
      if tag:match("^v?%d+%.%d+%.%d+") then
        assert.are.equal("v" .. version, tag, "HEAD is tagged " .. tag .. " but vnet is " .. version)
        release = true
      end
    end
    if not release then return end
    local dir = os.tmpname()
    os.remove(dir)
    local _, out = H.sh("sh tools/dist.sh " .. H.quote(dir) .. " --check")
    local md5 = slurp(dir .. "/vnet-" .. version .. "-1.rockspec"):match('md5 = "(%x+)"')
    H.sh("rm -rf " .. H.quote(dir))
    assert.are.equal(md5, fields(rockspec).source.md5, out)
  end)
end)
