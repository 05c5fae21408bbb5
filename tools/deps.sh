#!/bin/sh
# Installs the Debian packages vnet's build, demo and tests need, when missing.
# Usage: sh tools/deps.sh [extra packages...]
set -eu
pkgs="gcc make pkg-config lua5.4 liblua5.4-dev luajit libluajit-5.1-dev
      lua5.3 liblua5.3-dev lua5.1 liblua5.1-0-dev
      libnl-3-dev libnl-route-3-dev lua-busted lua-dkjson luarocks
      lua-ldoc lua-markdown zip unzip
      iproute2 iputils-ping nftables iperf3 procps python3 traceroute mtr-tiny
      qemu-system-x86 busybox-static kmod cpio valgrind $*"
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
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
