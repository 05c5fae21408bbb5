#!/bin/sh
# `make test`: every test tier of vnet, then one line of totals.
#
#   build      warning-free builds for Lua 5.4, LuaJIT, 5.3 and 5.1 (each loaded once);
#              only luaopen_vnet_core exported
#   lua5.4     the busted specs (spec/) on this kernel
#   luajit     the same specs under LuaJIT (OpenResty's Lua)
#   luv        spec/hosts/luv.lua: a monitor and a spawned process driven by
#              libuv's loop (lua-luv) through poll handles, no blocking call
#   cqueues    spec/hosts/cqueues.lua: the same driven by a cqueues loop
#   openresty  nginx with lua-nginx-module and two workers, in a scratch namespace,
#              serving endpoints that use vnet (spec/openresty/run.sh): exec statuses
#              under nginx's SIGCHLD handler, descriptors, RSS, zombies, the
#              workers' namespace, events through ngx.timer, a handle used after fork
#   asan       the specs again with vnet and a Lua host built with AddressSanitizer
#              (LeakSanitizer included): any leak or invalid access fails the tier;
#              then spec/oom_check.lua: vnet's calls with each of Lua's allocations
#              failing in turn (the host's oom_try), and still no leak; every
#              public call, each in a process of its own, so the log names
#              each call that leaks or crashes
#   fuzz       spec/fuzz/fuzz.lua on the asan build: every public call x every
#              argument and option key x odd values, then seeded random,
#              lifecycle and exec cases, in child processes; zero crashes,
#              sanitizer reports, badly shaped errors and leftovers
#              (VNET_FUZZ_SEED, VNET_FUZZ_CASES, VNET_FUZZ_SECONDS); then the
#              kill -9 check of topology `up` (spec/ or tools/kill_check.lua)
#              when it exists
#   install    `luarocks make` of the rockspec into a scratch tree, then a require
#   rocks      tools/rocks.sh: make dist into a scratch rocks server, then
#              `luarocks install vnet --server=` it into fresh trees for Lua 5.4
#              and LuaJIT, each running a two-host topology (up, ping, down);
#              the same install with libnl hidden fails with luarocks'
#              external-dependency error; make doc renders the manual without
#              a warning
#   vm         the specs inside a VM booted with Debian's full kernel (vm/run), where
#              a link kind the kernel lacks is a failure, not a pending test; it
#              runs in the background from the first tier after build on
#   vm2        two VMs (vm/run2), machines A and B on one Ethernet segment: each
#              applies its half of a two-machine topology script with
#              spec/vm2/pair.sh (up, check, a barrier, down, nothing left):
#              examples/wan_servers.lua and examples/wan_switch.lua
#   clean      the host's namespaces, links and netns mounts are what they were
#
# Select tiers with VNET_TIERS="lua5.4 luajit" (default: all). Needs root.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TIERS=${VNET_TIERS:-"build lua5.4 luajit luv cqueues openresty asan fuzz install rocks vm vm2"}
BUSTED=/usr/bin/busted
SPECS=${VNET_SPECS:-spec}
LOG=build/test-logs
mkdir -p "$LOG"
passed=0 failed=0 skipped=0

if [ "$(id -u)" != 0 ]; then
  echo "make test needs root (it makes network namespaces)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

state() {
  { ip netns list 2>/dev/null | awk '{print "netns " $1}'
    ip -o link show 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print "link " $2}'
    awk '$2 ~ "^/run/netns/" {print "mount " $2}' /proc/mounts
  } | sort
}

# Adds busted's counts from a log ("N successes / N failures / N errors / N pending").
count() {
  line=$(grep -E '^[0-9]+ successes? / [0-9]+ failures? / [0-9]+ errors? / [0-9]+ pending' "$1" | tail -n 1)
  if [ -z "$line" ]; then
    echo "  (no busted summary: counted as one failure)"
    failed=$((failed + 1))
    return
  fi
  set -- $line
  passed=$((passed + $1)); failed=$((failed + $4 + $7)); skipped=$((skipped + ${10}))
}

# check NAME CMD...: a tier step that is one pass or one failure.
check() {
  name=$1; shift
  if "$@" >"$LOG/$name.log" 2>&1; then
    passed=$((passed + 1)); echo "  ok    $name"
  else
    failed=$((failed + 1)); echo "  FAIL  $name (log: $LOG/$name.log)"; tail -n 30 "$LOG/$name.log"
  fi
}

# The AddressSanitizer build of vnet and of a small Lua host (asan, fuzz).
asan_build() {
  A="-O1 -g -fsanitize=address -fno-omit-frame-pointer"
  make --no-print-directory -s BUILD=build/asan CFLAGS="$A" LDFLAGS="-fsanitize=address" \
    build/asan/vnet/core.so >/dev/null &&
  cc $A $(pkg-config --cflags lua5.4) tools/lua_asan.c -o build/asan/lua_asan \
    $(pkg-config --libs lua5.4)
}

# part NAME LOG PATTERN: a tier part whose program prints its counts on a
# line matching PATTERN; one pass when it exited 0 and every count on that
# line but the first two (seed, cases / runs) is zero, else one failure.
part() {
  name=$1 log=$2 pattern=$3 status=$4
  line=$(grep -E "$pattern" "$log" | tail -n 1)
  echo "  ${line:-($name printed no counts)}"
  if [ "$status" -eq 0 ] && [ -n "$line" ]; then
    passed=$((passed + 1)); echo "  ok    $name"
  else
    failed=$((failed + 1)); echo "  FAIL  $name (log: $log)"
    grep -E '^(finding|fuzz|oom_check|kill_check)' "$log" | head -n 80
  fi
}

# busted_tier NAME LUA CPATH: runs the specs; prints busted's summary and failures.
busted_tier() {
  name=$1 lua=$2 cpath=$3
  echo "== $name"
  $lua $BUSTED --cpath="$cpath" -o utfTerminal $SPECS >"$LOG/$name.log" 2>&1
  grep -E 'successes? /' "$LOG/$name.log" | tail -n 1
  grep -A12 -E '^(Failure|Error) ' "$LOG/$name.log" | head -n 80
  count "$LOG/$name.log"
}

# The vm tier boots one VM with one vCPU under software emulation (its
# longest part, about 18 minutes) and leaves the host's second core idle:
# it starts as soon as the build tier has checked the builds, in the
# background, and the host tiers run beside it; its place in the list is
# where its result is read.
vm_pid=
vm_start() {
  [ -z "$vm_pid" ] || return 0
  t=
  for t in $TIERS; do [ "$t" = vm ] && break; done
  [ "$t" = vm ] || return 0
  make --no-print-directory -s BUILD=build/lua5.4 build/lua5.4/vnet/core.so >/dev/null
  rm -f "$LOG/vm.status" "$LOG/vm.log" "$LOG/vm.pid"
  # specs tagged host_only (large topologies of veth and bridge only, which
  # the host tiers already run) are too slow under software emulation
  ( vm/run env VNET_FULL_KERNEL=1 lua5.4 $BUSTED --cpath="build/lua5.4/?.so" -o utfTerminal \
      --exclude-tags=host_only $SPECS >"$LOG/vm.log" 2>&1 &
    echo $! >"$LOG/vm.pid"
    wait $!
    echo $? >"$LOG/vm.status" ) &
  vm_pid=$!
}
# A background job ignores SIGINT: an interrupted or failed run stops the
# VM itself (vm/run's TERM trap stops qemu).
vm_stop() {
  [ -n "$vm_pid" ] && [ -f "$LOG/vm.pid" ] && kill -TERM "$(cat "$LOG/vm.pid")" 2>/dev/null
  vm_pid=
}
trap vm_stop EXIT
trap 'exit 130' INT TERM HUP

before=$(state)

for tier in $TIERS; do
  [ "$tier" = build ] || vm_start
  case $tier in
  build)
    echo "== build"
    check build-lua5.4 make --no-print-directory BUILD=build/lua5.4 CFLAGS="-O2 -g -Werror" all check-symbols
    check build-luajit make --no-print-directory LUA=luajit BUILD=build/luajit CFLAGS="-O2 -g -Werror" build/luajit/vnet/core.so
    for v in lua5.3 lua5.1; do
      check build-$v sh -c "make --no-print-directory LUA=$v BUILD=build/$v CFLAGS='-O2 -g -Werror' build/$v/vnet/core.so &&
        LUA_PATH='lua/?.lua;;' LUA_CPATH='build/$v/?.so;;' $v -e 'assert(require \"vnet\".netns.current():links())'"
    done
    ;;
  lua5.4)
    make --no-print-directory -s BUILD=build/lua5.4 build/lua5.4/vnet/core.so >/dev/null
    busted_tier lua5.4 lua5.4 "build/lua5.4/?.so"
    ;;
  luajit)
    make --no-print-directory -s LUA=luajit BUILD=build/luajit build/luajit/vnet/core.so >/dev/null
    busted_tier luajit luajit "build/luajit/?.so"
    ;;
  luv|cqueues)
    echo "== $tier"
    make --no-print-directory -s BUILD=build/lua5.4 build/lua5.4/vnet/core.so >/dev/null
    check "$tier" env LUA_CPATH="build/lua5.4/?.so;;" timeout 120 lua5.4 "spec/hosts/$tier.lua"
    ;;
  openresty)
    echo "== openresty"
    sh spec/openresty/run.sh >"$LOG/openresty.log" 2>&1
    st=$?
    grep -E '^openresty:' "$LOG/openresty.log" | tail -n 1
    grep -A20 -E '^  FAIL' "$LOG/openresty.log" | head -n 60
    n=$(grep -c '^  ok ' "$LOG/openresty.log"); passed=$((passed + n))
    n=$(grep -c '^  FAIL ' "$LOG/openresty.log"); failed=$((failed + n))
    [ "$st" -ne 0 ] && [ "$n" -eq 0 ] && failed=$((failed + 1))
    ;;
  asan)
    asan_build
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 busted_tier asan build/asan/lua_asan "build/asan/?.so"
    if grep -q 'Sanitizer' "$LOG/asan.log"; then
      echo "  FAIL  AddressSanitizer reported:"; grep -A20 'ERROR: .*Sanitizer' "$LOG/asan.log" | head -n 60
      failed=$((failed + 1))
    fi
    # vnet's calls with each of Lua's allocations failing in turn: no leak
    check asan-oom env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
      LUA_CPATH="build/asan/?.so;;" VNET_FUZZ_LOGDIR="$LOG/oom" build/asan/lua_asan spec/oom_check.lua
    ;;
  fuzz)
    echo "== fuzz"
    # the asan tier's build (make redoes only what changed)
    asan_build
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 LUA_CPATH="build/asan/?.so;;" \
      VNET_FUZZ_LOGDIR="$LOG/fuzz" build/asan/lua_asan spec/fuzz/fuzz.lua >"$LOG/fuzz.log" 2>&1
    part fuzz "$LOG/fuzz.log" '^fuzz: seed ' $?
    for k in spec/kill_check.lua tools/kill_check.lua; do
      [ -f "$k" ] || continue
      # as its header says: lua5.4 with the Lua 5.4 build
      make --no-print-directory -s BUILD=build/lua5.4 build/lua5.4/vnet/core.so >/dev/null
      lua5.4 "$k" >"$LOG/kill_check.log" 2>&1
      st=$?
      # its requirement: no leftover after any run
      grep -qE '^kill_check: [0-9]+ runs, 0 leftovers' "$LOG/kill_check.log" || st=1
      part kill_check "$LOG/kill_check.log" '^kill_check: [0-9]+ runs' $st
      break
    done
    ;;
  install)
    echo "== install"
    tree=$(mktemp -d)
    check luarocks-make sh -c "luarocks --lua-version 5.4 --tree '$tree' make rockspec/vnet-scm-1.rockspec &&
      cd / && LUA_PATH='$tree/share/lua/5.4/?.lua;;' LUA_CPATH='$tree/lib/lua/5.4/?.so;;' \
      lua5.4 -e 'local v = require \"vnet\"; assert(v.netns.current()); assert(require \"vnet.core\" == v.core)'"
    check make-install sh -c "make --no-print-directory -s BUILD=build/lua5.4 install DESTDIR='$tree/d' PREFIX=/usr &&
      cd / && LUA_PATH='$tree/d/usr/share/lua/5.4/?.lua;;' LUA_CPATH='$tree/d/usr/lib/lua/5.4/?.so;;' \
      lua5.4 -e 'assert(require \"vnet\".netns.current())'"
    rm -rf "$tree"
    ;;
  rocks)
    echo "== rocks"
    rocks=$(mktemp -d)
    for step in server lua5.4 luajit nolibnl doc; do
      check "rocks-$step" sh tools/rocks.sh "$step" "$rocks"
    done
    rm -rf "$rocks"
    ;;
  vm)
    echo "== vm (full kernel)"
    wait "$vm_pid"
    vm_pid=
    echo "  vm exit status $(cat "$LOG/vm.status" 2>/dev/null)"
    grep -E 'successes? /' "$LOG/vm.log" | tail -n 1
    grep -A12 -E '^(Failure|Error) ' "$LOG/vm.log" | head -n 80
    count "$LOG/vm.log"
    ;;
  vm2)
    echo "== vm2 (two machines)"
    make --no-print-directory -s BUILD=build/lua5.4 build/lua5.4/vnet/core.so >/dev/null
    for s in examples/wan_servers.lua examples/wan_switch.lua; do
      check "vm2-$(basename "$s" .lua)" env LUA_CPATH="build/lua5.4/?.so;;" VM_TIMEOUT=400 \
        vm/run2 sh spec/vm2/pair.sh "$s"
    done
    ;;
  *)
    echo "unknown tier '$tier'"; failed=$((failed + 1)) ;;
  esac
done

echo "== clean"
after=$(state)
if [ "$before" = "$after" ]; then
  passed=$((passed + 1)); echo "  ok    nothing left behind"
else
  failed=$((failed + 1))
  echo "  FAIL  the host's network changed:"
  echo "$before" >"$LOG/state.before"; echo "$after" >"$LOG/state.after"
  diff "$LOG/state.before" "$LOG/state.after" | sed 's/^/    /'
fi

echo
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
