#!/bin/sh
# The openresty tier of `make test`: nginx with lua-nginx-module (Debian's
# nginx-light and libnginx-mod-http-lua, on OpenResty's LuaJIT), two
# workers, started in a scratch namespace of its own (never on the host's
# network), with endpoints that use vnet (spec/openresty/app.lua). Prints
# "  ok    NAME" or "  FAIL  NAME" per check, then "openresty: N passed, N failed".
# Needs root, curl, and vnet's LuaJIT build (made here).
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
NS=vnor$$
TMP=$(mktemp -d /tmp/vnet-or.XXXXXX)
chmod 755 "$TMP"
passed=0 failed=0

ok() { passed=$((passed + 1)); echo "  ok    $1"; }
bad() { failed=$((failed + 1)); echo "  FAIL  $1"; [ -n "${2:-}" ] && echo "$2" | head -n 20 | sed 's/^/        /'; }
in_ns() { ip netns exec "$NS" "$@"; }
# get PORT PATH [curl options]: the body(ies), each request bounded
get() {
  port=$1 path=$2; shift 2
  timeout 60 ip netns exec "$NS" curl -s --no-progress-meter --max-time 20 "$@" "http://127.0.0.1:$port$path"
}

masters=""
finish() {
  for m in $masters; do kill -9 "$m" 2>/dev/null; done
  # the workers die with their master (they are in the namespace too)
  for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  ip netns delete "$NS" 2>/dev/null
  rm -rf "$TMP"
}
trap finish EXIT INT TERM

make --no-print-directory -s LUA=luajit BUILD=build/luajit build/luajit/vnet/core.so >/dev/null ||
  { echo "openresty: the LuaJIT build failed"; echo "openresty: 0 passed, 1 failed"; exit 1; }
ip netns add "$NS" && ip -n "$NS" link set lo up ||
  { echo "openresty: 0 passed, 1 failed"; exit 1; }

# start NAME PORT USER WORKER_INIT: an nginx instance, running in the background
start() {
  d=$TMP/$1
  mkdir -p "$d" && chmod 755 "$d"
  sed -e "s|@ROOT@|$ROOT|g" -e "s|@TMP@|$d|g" -e "s|@PORT@|$2|g" -e "s|@USER@|$3|g" \
      -e "s|@WORKER_INIT@|$4|g" spec/openresty/nginx.conf.in >"$d/nginx.conf"
  in_ns nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" </dev/null >"$d/stdout" 2>&1 &
  masters="$masters $!"
  i=0
  while [ $i -lt 100 ]; do
    in_ns curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$2/ns" && return 0
    sleep 0.1; i=$((i + 1))
  done
  cat "$d/error.log" "$d/stdout" 2>/dev/null | tail -n 20
  return 1
}
workers() { ps -o pid= --ppid "$(cat "$TMP/$1/nginx.pid")" | tr -d ' '; }

if ! start main 8080 root "init_worker_by_lua_block { require(\"app\").init_worker() }"; then
  bad "nginx starts with vnet loaded"
  echo "openresty: $passed passed, $failed failed"; exit 1
fi
ok "nginx starts with vnet loaded, two workers ($(workers main | wc -l))"

# exit statuses under nginx's SIGCHLD handler (it reaps with waitpid(-1))
out=$(get 8080 "/exec?i=[1-100]")
n=$(echo "$out" | grep -c '^false 1 exit$')
[ "$n" = 100 ] && ok "exec: 100 runs of false all report failure" ||
  bad "exec: 100 runs of false all report failure (got $n)" "$(echo "$out" | sort | uniq -c)"
out=$(get 8080 "/exec?argv=kill")
[ "$out" = "false 9 signal" ] && ok "exec: a program killed by SIGKILL reports the signal" ||
  bad "exec: a program killed by SIGKILL reports the signal" "$out"
n=$(grep -c "unknown process" "$TMP/main/error.log")
[ "$n" = 0 ] && ok "nginx reaped none of vnet's children (no 'unknown process' in its log)" ||
  bad "nginx reaped none of vnet's children" "$(grep "unknown process" "$TMP/main/error.log")"

# nginx clears the environment (no `env PATH;` here): exec still finds nft
out=$(get 8080 "/exec?argv=nft")
[ "$out" = "true 0 exit" ] && ok "exec: finds /usr/sbin programs although nginx cleared PATH" ||
  bad "exec: finds /usr/sbin programs although nginx cleared PATH" "$out"

# a worker waiting for a long program it spawned serves other requests
# meanwhile: quick requests on new connections (spread over both workers)
# are answered, some by that worker, while /long is still waiting
get 8080 /long >"$TMP/long.out" &
long=$!
sleep 0.3
quick=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do quick="$quick $(get 8080 /pid)"; done
kill -0 "$long" 2>/dev/null && pending=1 || pending=0
wait "$long"
set -- $(cat "$TMP/long.out")
n=0
for p in $quick; do [ "$p" = "${2:-x}" ] && n=$((n + 1)); done
[ "$1" = done ] && [ "$3" = true ] && [ "$pending" = 1 ] && [ "$n" -ge 1 ] &&
  ok "a worker waiting on a spawned program serves other requests meanwhile ($n of 16)" ||
  bad "a worker waiting on a spawned program serves other requests meanwhile" "long: $(cat "$TMP/long.out"); pending $pending; quick:$quick"

# descriptors: only stdin, stdout and stderr cross into a program
out=$(get 8080 /fds)
[ "$out" = "true 0 1 2" ] && ok "exec: the program holds only fds 0 1 2" ||
  bad "exec: the program holds only fds 0 1 2" "$out"

# a handle opened in init_by_lua (before the fork), used by both workers at
# once; 60 links make each dump several datagrams long
i=0
while [ $i -lt 30 ]; do echo "link add pf$i type veth peer name pf${i}p"; i=$((i + 1)); done |
  ip -n "$NS" -batch -
links=$(ip -n "$NS" -o link show | wc -l)
out=$(get 8080 "/prefork?i=[1-400]" --parallel --parallel-max 8)
n=$(echo "$out" | grep -c "^ok $links ")
pids=$(echo "$out" | awk '{print $3}' | sort -u | wc -l)
[ "$n" = 400 ] && ok "a handle opened before the fork answers right in the workers (400 requests, $pids workers)" ||
  bad "a handle opened before the fork answers right in the workers (got $n of 400)" "$(echo "$out" | sort | uniq -c)"

i=0
while [ $i -lt 30 ]; do echo "link del pf$i"; i=$((i + 1)); done | ip -n "$NS" -batch -

# RSS and descriptors stay bounded; no zombie
measure() {
  fds=0 rss=0
  [ "$(workers main | wc -l)" = 2 ] || { echo "-1 -1"; return; }
  for w in $(workers main); do
    fds=$((fds + $(ls "/proc/$w/fd" | wc -l)))
    r=$(awk '/^VmRSS/ {print $2}' "/proc/$w/status"); rss=$((rss + r))
  done
  echo "$fds $rss"
}
n=$(get 8080 "/work?i=[1-300]" | grep -c '^ok$')
set -- $(measure); fds1=$1 rss1=$2
n2=$(get 8080 "/work?i=[301-2300]" | grep -c '^ok$')
set -- $(measure); fds2=$1 rss2=$2
[ "$n" = 300 ] && [ "$n2" = 2000 ] && ok "2300 requests (links, addresses, namespaces) succeed" ||
  bad "2300 requests (links, addresses, namespaces) succeed (got $n + $n2)" "$(tail -n 20 "$TMP/main/error.log")"
[ "$fds1" -ge 0 ] && [ "$fds2" -ge 0 ] && [ "$fds2" -le $((fds1 + 4)) ] && ok "workers' descriptors bounded ($fds1 -> $fds2 over 2000 requests)" ||
  bad "workers' descriptors bounded ($fds1 -> $fds2 over 2000 requests)"
[ "$rss1" -ge 0 ] && [ "$rss2" -ge 0 ] && [ "$rss2" -le $((rss1 + 16384)) ] && ok "workers' RSS bounded (${rss1} kB -> ${rss2} kB)" ||
  bad "workers' RSS bounded (${rss1} kB -> ${rss2} kB)"
z=0
[ "$(workers main | wc -l)" = 2 ] || z="(workers gone)"
for w in $(workers main); do
  z=$((z + $(ps -o stat= --ppid "$w" | grep -c '^Z')))
done
[ "$z" = 0 ] && ok "no zombie under the workers" || bad "no zombie under the workers ($z)"
# the namespaces closed by the requests ended: their veth twins went with them
i=0
while [ $i -lt 100 ]; do
  left=$(ip -n "$NS" -o link show | grep -cE '^[0-9]+: w[0-9]+s[0-9]+@')
  [ "$left" = 0 ] && break
  sleep 0.1; i=$((i + 1))
done
[ "$left" = 0 ] && ok "closed namespaces end (no veth left behind)" ||
  bad "closed namespaces end ($left veth twins left)"

# the workers' namespace never changed
ino=$(stat -L -c %i "/run/netns/$NS")
out=$(get 8080 "/ns?i=[1-20]" --parallel --parallel-max 4)
n=$(echo "$out" | grep -c "^$ino $ino$")
[ "$n" = 20 ] && ok "the workers stay in their namespace" || bad "the workers stay in their namespace" "$out"

# events through a monitor polled by ngx.timer (mon:read())
wait_event() {
  i=0
  while [ $i -lt 100 ]; do
    [ "$(get 8080 "/event?name=$1")" = "$2" ] && return 0
    sleep 0.1; i=$((i + 1))
  done
  return 1
}
ip -n "$NS" link add evt0 type veth peer name evt1
wait_event evt0 new && ok "a new link is delivered through ngx.timer and mon:read()" ||
  bad "a new link is delivered through ngx.timer and mon:read()"
ip -n "$NS" link del evt0
wait_event evt0 del && ok "a deleted link is delivered too" || bad "a deleted link is delivered too"

# workers that gave up root: the handle opened before the fork fails
# clearly, at once, instead of sharing the master's socket
if start nobody 8081 "nobody nogroup" ""; then
  out=$(get 8081 /prefork)
  case $out in
  "fail EPERM "*"after a fork"*) ok "a handle used after fork where it cannot be opened again fails clearly" ;;
  *) bad "a handle used after fork where it cannot be opened again fails clearly" "$out" ;;
  esac
else
  bad "nginx with workers as nobody starts"
fi

# graceful stop
for d in main nobody; do
  [ -f "$TMP/$d/nginx.pid" ] || continue
  m=$(cat "$TMP/$d/nginx.pid")
  kill -QUIT "$m"
  i=0
  while kill -0 "$m" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  kill -0 "$m" 2>/dev/null && bad "nginx ($d) stops gracefully" || ok "nginx ($d) stops gracefully"
done
n=$(grep -cE '\[(alert|crit|emerg)\]' "$TMP/main/error.log")
[ "$n" = 0 ] && ok "no alert in nginx's log" || bad "no alert in nginx's log" "$(grep -E '\[(alert|crit|emerg)\]' "$TMP/main/error.log")"

echo "openresty: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
