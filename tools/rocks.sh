#!/bin/sh
# The rocks tier of `make test`: vnet as a user gets it from a rocks server.
#
#   sh tools/rocks.sh STEP DIR
#
#   server   make dist into DIR/server (a rocks server: the release tarball,
#            the source rock packed from it, the manifest), and the committed
#            release rockspec checked against it (tools/dist.sh --check)
#   lua5.4   luarocks install vnet --server=DIR/server into a fresh tree for
#            Lua 5.4, then tools/rocks_smoke.lua with that tree only
#   luajit   the same for LuaJIT (luarocks --lua-version 5.1, with luajit as
#            the interpreter and its headers, through a config of the tree's)
#   nolibnl  the same install where libnl cannot be found (luarocks looks for
#            external dependencies in an empty sysroot, its DEPS_DIR; the
#            system's packages stay): luarocks' external-dependency error naming
#            NL3, before anything is compiled
#   doc      make doc: the reference manual, without a warning
#
# The smoke test runs in a world of its own (private network namespace and
# /run/netns, as spec/helper.lua's H.world): nothing it makes can outlive it.
set -eu
cd "$(dirname "$0")/.."
step=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
srv=$dir/server

# install LUAVER INTERP TREE [config lines]: a fresh tree, a luarocks config
# of its own (rocks_trees is the tree only), luarocks install from the server
install() {
  ver=$1 interp=$2 tree=$3; shift 3
  rm -rf "$tree"; mkdir -p "$tree"
  { echo "rocks_trees = { [[$tree]] }"
    echo "rocks_servers = { [[$srv]] }  -- in place of the default servers: no network"
    for l in "$@"; do echo "$l"; done; } >"$tree.config.lua"
  LUAROCKS_CONFIG=$tree.config.lua luarocks --lua-version "$ver" --tree "$tree" \
    install vnet --server="$srv"
}

# smoke VER INTERP TREE: require "vnet" and a two-host topology from the tree
smoke() {
  ver=$1 interp=$2 tree=$3
  lp="$tree/share/lua/$ver/?.lua;$tree/share/lua/$ver/?/init.lua;;"
  cp="$tree/lib/lua/$ver/?.so;;"
  cp tools/rocks_smoke.lua "$tree/smoke.lua"
  # from / (no ./lua or ./vnet of a checkout), in a private world
  (cd / && LUA_PATH="$lp" LUA_CPATH="$cp" unshare --mount --net --propagation private \
    sh -c 'mkdir -p /run/netns && mount -t tmpfs vnet-rocks /run/netns && ip link set lo up && exec "$@"' \
    sh "$interp" "$tree/smoke.lua" "$tree")
}

case $step in
server)
  rm -rf "$srv"
  sh tools/dist.sh "$srv" --check
  ls "$srv"
  ;;
lua5.4)
  install 5.4 lua5.4 "$dir/t-lua5.4"
  smoke 5.4 lua5.4 "$dir/t-lua5.4"
  ;;
luajit)
  # Debian's luarocks knows LuaJIT as a Lua 5.1: the config names luajit
  # and its headers (/usr/include/luajit-2.1)
  inc=$(pkg-config --variable=includedir luajit)/luajit-2.1
  [ -f "$inc/luajit.h" ] || inc=$(pkg-config --cflags-only-I luajit | sed 's/^-I//; s/ .*//')
  install 5.1 luajit "$dir/t-luajit" 'lua_interpreter = "luajit"' \
    "variables = { LUA = [[$(command -v luajit)]], LUA_BINDIR = [[$(dirname "$(command -v luajit)")]], LUA_INCDIR = [[$inc]] }"
  smoke 5.1 luajit "$dir/t-luajit"
  ;;
nolibnl)
  root=$dir/sysroot
  rm -rf "$root"; mkdir -p "$root/include" "$root/lib"
  if install 5.4 lua5.4 "$dir/t-nolibnl" "variables = { DEPS_DIR = [[$root]] }" \
       >"$dir/nolibnl.out" 2>&1; then
    cat "$dir/nolibnl.out"; echo "nolibnl: the install worked without libnl"; exit 1
  fi
  cat "$dir/nolibnl.out"
  grep -q "Could not find header file for NL3" "$dir/nolibnl.out" ||
    { echo "nolibnl: no external-dependency error for NL3"; exit 1; }
  if grep -qE '(^| )(gcc|cc) |error:|fatal error' "$dir/nolibnl.out"; then
    echo "nolibnl: the compiler ran"; exit 1
  fi
  [ ! -e "$dir/t-nolibnl/lib/lua/5.4/vnet/core.so" ] || { echo "nolibnl: something was installed"; exit 1; }
  ;;
doc)
  make --no-print-directory doc DOC="$dir/doc" >"$dir/doc.out" 2>&1 || { cat "$dir/doc.out"; exit 1; }
  cat "$dir/doc.out"
  if grep -iE 'warning|error|not found|unknown' "$dir/doc.out"; then
    echo "doc: ldoc warned"; exit 1
  fi
  [ -f "$dir/doc/index.html" ] || { echo "doc: no $dir/doc/index.html"; exit 1; }
  ;;
*)
  echo "rocks.sh: unknown step '$step'" >&2; exit 2 ;;
esac
