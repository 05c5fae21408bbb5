--- vnet: Linux virtual networks from Lua.
-- The facade: the C core's objects plus small Lua conveniences.
local core = require "vnet.core"

local M = {
  netns = core.netns,
  errno = core.errno,
  version = core.version,
  core = core,
}

return M
