#!/bin/sh
# vm/kinds-check.sh -- run INSIDE the VM (vm/selftest does: vm/run vm/kinds-check.sh).
# Creates one link of every kind vnet cares about, plus a netns, an nftables
# NAT rule and a Lua run; prints "OK name" / "FAIL name: why" per check and a
# closing "N passed, N failed" line.  Exit status 0 only if all passed.
pass=0 fail=0
t() {
    name=$1; shift
    if out=$("$@" 2>&1); then
        echo "OK   $name"; pass=$((pass + 1))
    else
        echo "FAIL $name: $out"; fail=$((fail + 1))
    fi
}
# Parents: a device can carry only one of macvlan / ipvlan / macsec.
ip link add l0 type dummy && ip link add l1 type dummy && ip link add l2 type dummy
ip link set l0 up
ip addr add 192.0.2.1/24 dev l0
ip -6 addr add 2001:db8::1/64 dev l0 nodad

t dummy     ip link add d0 type dummy
t veth      ip link add va type veth peer name vb
t bridge    ip link add br0 type bridge
t vlan      ip link add link l0 name v5 type vlan id 5
t macvlan   ip link add link l0 name mv0 type macvlan mode bridge
t macvtap   ip link add link l0 name mvt0 type macvtap
t ipvlan    ip link add link l1 name ipv0 type ipvlan mode l2
t bond      ip link add bond1 type bond
t ifb       ip link add ifb1 type ifb
t vrf       ip link add vrf0 type vrf table 10
t vxlan     ip link add vx0 type vxlan id 42 dstport 4789 local 192.0.2.1 dev l0
t geneve    ip link add gnv0 type geneve id 7 remote 192.0.2.2
t macsec    ip link add link l2 macsec0 type macsec
t ipip      ip link add ipip0 type ipip local 192.0.2.1 remote 192.0.2.2
t gre       ip link add gre1 type gre local 192.0.2.1 remote 192.0.2.2
t gretap    ip link add gtap1 type gretap local 192.0.2.1 remote 192.0.2.2
t erspan    ip link add ers1 type erspan local 192.0.2.1 remote 192.0.2.2 seq key 10 erspan_ver 1 erspan 123
t sit       ip link add sit1 type sit local 192.0.2.1 remote 192.0.2.2
t ip6tnl    ip link add ip6t1 type ip6tnl local 2001:db8::1 remote 2001:db8::2
t ip6gre    ip link add ip6g1 type ip6gre local 2001:db8::1 remote 2001:db8::2
t ip6gretap ip link add ip6gt1 type ip6gretap local 2001:db8::1 remote 2001:db8::2
t vti       ip link add vti1 type vti local 192.0.2.1 remote 192.0.2.2 key 5
t vti6      ip link add vti61 type vti6 local 2001:db8::1 remote 2001:db8::2 key 6
t nlmon     ip link add nlmon0 type nlmon
t wireguard ip link add wg0 type wireguard
t xfrm      ip link add xfrm1 type xfrm if_id 9
t tun       ip tuntap add dev tun0 mode tun
t tap       ip tuntap add dev tap0 mode tap
t netns     ip netns add x
t netns-veth ip link set vb netns x
t netns-link ip -n x link show vb
if command -v nft >/dev/null; then
    t nft-nat nft add table ip nat
    t nft-masq nft add chain ip nat post '{ type nat hook postrouting priority 100; }'
    t nft-masq-rule nft add rule ip nat post oifname l0 masquerade
fi
t lua5.4    lua5.4 -e 'assert(_VERSION == "Lua 5.4")'
t no-stray-devices sh -c '! ip -br link | grep -E "^(dummy0|bond0|ifb0|tunl0|gre0|sit0|ip6tnl0)[ @]"'
t modprobe  modprobe -n nlmon
t ro-root   sh -c '! touch /vnet-vm-ro-check 2>/dev/null'
t tmp-rw    sh -c 'echo x >/tmp/vnet-vm-check && rm /tmp/vnet-vm-check'
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
