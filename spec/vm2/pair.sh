#!/bin/sh
# spec/vm2/pair.sh -- one machine's run of a multi-machine topology script;
# run INSIDE each VM of vm/run2 (make test's vm2 tier):
#
#   vm/run2 sh spec/vm2/pair.sh SCRIPT
#
# On machine M = $VNET_MACHINE (A or B, set by vm/run2):
#   up       lua5.4 SCRIPT up (no --machine: the script finds M by its
#            underlay address on eth0)
#   check    lua5.4 SCRIPT check --machine M (the script's own check across
#            the machines), again until it passes, for up to
#            VNET_PAIR_REACH seconds (default 90: the other VM may be slower)
#   barrier  this machine's check is over; wait (up to VNET_PAIR_WAIT seconds,
#            default 150) until the other's is too, so that neither machine
#            takes its half down while the other still checks
#   down     lua5.4 SCRIPT down --machine M
#   clean    no namespace left (ip netns list), no link whose alias starts
#            with "vnet:"
# Prints "ok STEP" or "FAIL STEP: why" per step; exit status 0 only if every
# step passed.  A failed step does not stop the run: down and clean still run.
#
# The barrier speaks over the shared segment with marker addresses on eth0
# (/32, in the /24 of the machine's VNET_ADDR_A / VNET_ADDR_B): .250 (A) and
# .251 (B) say "my check is over", .252 (A) and .253 (B) "I passed the
# barrier".  Each machine pings the other's.  A machine's markers vanish with
# its VM, so before exiting each waits until the other has passed the
# barrier too (its "passed" marker answers) or is gone (its "check is over"
# marker no longer answers).

script=${1:?usage: pair.sh SCRIPT}
m=${VNET_MACHINE:?VNET_MACHINE is not set (run by vm/run2)}
REACH=${VNET_PAIR_REACH:-90}
WAIT=${VNET_PAIR_WAIT:-150}
case $m in
A) k=0 other=B; own=${VNET_ADDR_A:-192.168.9.125/24} ;;
B) k=1 other=A; own=${VNET_ADDR_B:-192.168.9.183/24} ;;
*) echo "pair.sh: VNET_MACHINE must be A or B, not '$m'" >&2; exit 2 ;;
esac
net=${own%/*}
net=${net%.*}
failed=0 t0=$(date +%s)
ok() { echo "ok   $1 ($(( $(date +%s) - t0 ))s)"; }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
lab() { lua5.4 "$script" "$1" --machine "$m"; }

# wait_for ADDR SECONDS: until ADDR answers a ping
wait_for() {
    end=$(( $(date +%s) + $2 ))
    until ping -c 1 -W 1 "$1" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.5
    done
}

echo "machine $m: $script"
if lua5.4 "$script" up; then
    ok up
    end=$(( $(date +%s) + REACH )) tries=0
    while :; do
        tries=$((tries + 1))
        if out=$(lab check 2>&1); then
            ok "check (try $tries)"
            break
        fi
        if [ "$(date +%s)" -ge "$end" ]; then
            printf '%s\n' "$out"
            bad "check: still failing after $tries tries, ${REACH}s (VNET_PAIR_REACH)"
            break
        fi
        sleep 1
    done
else
    bad "up: exit status $?"
fi

ip addr add "$net.$((250 + k))/32" dev eth0
if wait_for "$net.$((251 - k))" "$WAIT"; then
    ok "barrier ($other's check is over)"
else
    bad "barrier: $other did not finish its check within ${WAIT}s (VNET_PAIR_WAIT)"
fi
ip addr add "$net.$((252 + k))/32" dev eth0

if lab down; then ok down; else bad "down: exit status $?"; fi
c=$failed
left=$(ip netns list)
[ -z "$left" ] || bad "clean: namespaces left: $(echo "$left" | tr '\n' ' ')"
left=$(ip -o link show | grep 'alias vnet:')
[ -z "$left" ] || bad "clean: links left: $left"
[ "$failed" != "$c" ] || ok clean

# Stay until the other machine has passed the barrier or is gone (see above).
until ping -c 1 -W 1 "$net.$((253 - k))" >/dev/null 2>&1; do
    ping -c 1 -W 1 "$net.$((251 - k))" >/dev/null 2>&1 || break
done
echo "machine $m: $failed failed"
[ "$failed" = 0 ]
