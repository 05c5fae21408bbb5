local H = require "spec.helper"

describe("the module", function()
  it("adds no globals", function()
    local before = {}
    for k in pairs(_G) do before[k] = true end
    package.loaded["vnet"] = nil
    package.loaded["vnet.core"] = nil
    require "vnet"
    for k in pairs(_G) do
      assert(before[k], "require 'vnet' set the global '" .. tostring(k) .. "'")
    end
  end)

  it("exports the core and its tables", function()
    local vnet = H.vnet
    assert.are.equal("table", type(vnet.netns))
    assert.are.equal(17, vnet.errno.EEXIST)
    assert.are.equal("EEXIST", vnet.errno[17])
    assert.are.equal("string", type(vnet.version))
    local kinds = vnet.core.kinds()
    local set = {}
    for _, k in ipairs(kinds) do set[k] = true end
    assert.is_true(set.veth and set.bridge)
  end)

  it("names its metatables", function()
    local ns = H.vnet.netns.current()
    assert.are.equal("vnet.netns", getmetatable(ns).__name)
    assert.are.equal("vnet.link", getmetatable(ns:link("lo")).__name)
    assert.truthy(tostring(ns):find("^vnet.netns: "))
  end)
end)
