#!/bin/sh
# Installs the Debian packages vnet's build, demo and tests need, when missing.
# Usage: sh tools/deps.sh [extra packages...]
set -eu
# LuaJIT is OpenResty's (luajit2, libluajit2-5.1-dev: the same luajit.pc and
# headers as Debian's luajit, which it replaces), since Debian's
# libnginx-mod-http-lua (the openresty tier) wants it: the luajit tier and
# the openresty tier share one LuaJIT.
pkgs="gcc make pkg-config lua5.4 liblua5.4-dev luajit2 libluajit2-5.1-dev
      nginx-light libnginx-mod-http-lua curl
      lua5.3 liblua5.3-dev lua5.1 liblua5.1-0-dev
      libnl-3-dev libnl-route-3-dev lua-busted lua-dkjson luarocks
      lua-ldoc lua-markdown zip unzip
      iproute2 iputils-ping nftables iperf3 procps python3 traceroute mtr-tiny
      qemu-system-x86 busybox-static kmod cpio valgrind lua-luv lua-cqueues ansible-core $*"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "vnet needs these Debian packages:$missing (run as root to install them)" >&2
  exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# no package's service may start on the host's network (nginx's would
# listen on port 80): services stay stopped while installing
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  guard=1
fi
# shellcheck disable=SC2086
st=0
apt-get install -y -qq --no-install-recommends $missing >/dev/null || st=$?
[ -n "$guard" ] && rm -f /usr/sbin/policy-rc.d
exit $st
