-- lua tools/rockspec.lua VERSION URL MD5 [SCM_ROCKSPEC]
-- Prints the release rockspec of vnet VERSION: the scm rockspec
-- (rockspec/vnet-scm-1.rockspec, the one description of how vnet builds)
-- with its version and its source replaced by the release tarball at URL,
-- whose md5 is MD5. `make dist` and the rocks tier of `make test` write
-- rockspec/vnet-VERSION-1.rockspec with it; nothing else is hand-edited.
local version, url, md5, scm = ...
assert(version and version:match("^%d+%.%d+%.%d+$"), "usage: rockspec.lua X.Y.Z URL MD5")
assert(url and md5 and md5:match("^%x+$") and #md5 == 32, "usage: rockspec.lua X.Y.Z URL MD5")
local f = assert(io.open(scm or "rockspec/vnet-scm-1.rockspec"))
local text = f:read("a")
f:close()
local n1, n2
text, n1 = text:gsub('\nversion = "scm%-1"\n', '\nversion = "' .. version .. '-1"\n', 1)
text, n2 = text:gsub("\nsource = %b{}\n", ("\nsource = {\n  url = %q,\n  md5 = %q,\n  dir = %q,\n}\n")
                     :format(url, md5, "vnet-" .. version), 1)
assert(n1 == 1 and n2 == 1, (scm or "rockspec/vnet-scm-1.rockspec") .. ": no version or source to replace")
io.write(text)
