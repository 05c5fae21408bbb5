#!/bin/sh
# `make dist`: the release tarball and rockspec of the version in csrc/core.c
# (VNET_VERSION, the one place the version is written).
#
#   sh tools/dist.sh [DIR] [--check]
#
# The version and every file are HEAD's (commit first).
# DIR/vnet-X.Y.Z.tar.gz holds the files git tracks at HEAD (git archive),
# under vnet-X.Y.Z/, without the release rockspec (which names the tarball's
# md5, so it cannot be inside it). The tarball depends on those files only:
# names sorted, owner 0, a fixed mtime, gzip -n; the same tree gives the same
# md5 whatever the commit or the clock.
# rockspec/vnet-X.Y.Z-1.rockspec is the scm rockspec with that version and
# with the tarball as its source: url $VNET_RELEASE_URL/vnet-X.Y.Z.tar.gz
# (where releases are published; default file:///usr/local/src/vnet) and the
# tarball's md5. It is brought up to date (commit it); with --check it is
# only compared, and a difference other than its md5 is an error.
# DIR is then a rocks server: the tarball, vnet-X.Y.Z-1.src.rock made by
# `luarocks pack` (of the same rockspec with the url of DIR's tarball) and
# the manifest of `luarocks-admin make_manifest`:
#   luarocks install vnet --server=DIR
# DIR defaults to build/dist.
set -eu
cd "$(dirname "$0")/.."
dir=build/dist check=
for a in "$@"; do
  case $a in --check) check=1 ;; *) dir=$a ;; esac
done
version=$(git show HEAD:csrc/core.c | sed -n 's/^#define VNET_VERSION "\(.*\)"$/\1/p')
case $version in
  [0-9]*.[0-9]*.[0-9]*) ;;
  *) echo "dist: no VNET_VERSION \"X.Y.Z\" in csrc/core.c" >&2; exit 1 ;;
esac
name=vnet-$version
mkdir -p "$dir"
rm -rf "$dir/$name" "$dir/$name.tar.gz"
git archive --format=tar --prefix="$name/" HEAD | tar -x -C "$dir"
rm -f "$dir/$name/rockspec/$name-1.rockspec"
git show HEAD:rockspec/vnet-scm-1.rockspec >"$dir/vnet-scm-1.rockspec"
(cd "$dir" && find "$name" -print | LC_ALL=C sort |
  tar -c --no-recursion -T - --owner=0 --group=0 --mode='u+rwX,go+rX,go-w' --numeric-owner --format=ustar \
    --mtime='2000-01-01 00:00:00Z' | gzip -9n >"$name.tar.gz")
rm -rf "${dir:?}/$name"
md5=$(md5sum "$dir/$name.tar.gz" | cut -d' ' -f1)
lua=$(command -v lua5.4 || command -v lua5.3 || command -v lua)
url=${VNET_RELEASE_URL:-file:///usr/local/src/vnet}
"$lua" tools/rockspec.lua "$version" "$url/$name.tar.gz" "$md5" "$dir/vnet-scm-1.rockspec" \
  >"$dir/$name-1.rockspec"
# the source rock: packed from the tarball here
abs=$(cd "$dir" && pwd)
mkdir -p "$dir/pack"
"$lua" tools/rockspec.lua "$version" "file://$abs/$name.tar.gz" "$md5" "$dir/vnet-scm-1.rockspec" \
  >"$dir/pack/$name-1.rockspec"
rm -f "$dir/vnet-scm-1.rockspec" "$dir"/*.src.rock
(cd "$dir" && luarocks pack "pack/$name-1.rockspec" >/dev/null &&
  luarocks-admin make_manifest . >/dev/null) || { echo "dist: luarocks pack failed" >&2; exit 1; }
rm -rf "${dir:?}/pack"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "dist: note: the tarball is HEAD's; uncommitted changes are not in it"
fi
echo "dist: $dir/$name.tar.gz (md5 $md5), $dir/$name-1.src.rock, $dir/manifest"
committed=rockspec/$name-1.rockspec
if cmp -s "$dir/$name-1.rockspec" "$committed"; then
  exit 0
fi
if [ -n "$check" ]; then
  if [ -f "$committed" ] && diff "$committed" "$dir/$name-1.rockspec" | grep '^[<>]' |
       grep -qv '^[<>]   md5 = "[0-9a-f]*",$'; then
    echo "dist: $committed differs from what tools/rockspec.lua makes:" >&2
    diff "$committed" "$dir/$name-1.rockspec" >&2
    exit 1
  fi
  [ -f "$committed" ] || { echo "dist: no $committed (run make dist)" >&2; exit 1; }
  echo "dist: $committed names the md5 of an older tree (make dist updates it)"
  exit 0
fi
cp "$dir/$name-1.rockspec" "$committed"
echo "dist: updated $committed (commit it)"
