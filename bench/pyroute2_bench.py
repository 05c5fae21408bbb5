#!/usr/bin/python3
"""pyroute2 peer of the vnet benchmarks (Debian python3-pyroute2, /usr/bin/python3).

usage: pyroute2_bench.py [-n NETNS] COMMAND ARGS...

Same commands, names and addresses as bench/raw.c (see its header).  -n NETNS
setns()es the whole process into /run/netns/NETNS first (pyroute2's fastest
way: no NetNS proxy process).  Each command is written the way the pyroute2
docs show, one synchronous call per step; output lines are the same key=value
counts that raw prints, so the harness can compare them.
"""
import socket
import sys

from pyroute2 import IPRoute, netns
from pyroute2.netlink.exceptions import NetlinkError


def prefix(i):
    return "%d.%d.%d.0" % (11 + (i >> 16), (i >> 8) & 255, i & 255)


def veth(ipr, n):
    for i in range(int(n)):
        a, b = "va%d" % i, "vb%d" % i
        ipr.link("add", ifname=a, kind="veth", peer=b)
        ia = ipr.link_lookup(ifname=a)[0]
        ib = ipr.link_lookup(ifname=b)[0]
        ipr.link("set", index=ia, state="up")
        ipr.link("set", index=ib, state="up")
        ipr.addr("add", index=ia, address="10.%d.%d.1" % ((i >> 8) & 255, i & 255), prefixlen=24)
    print("veth=%d" % int(n))


def star_up(ipr, n, pfx):
    n = int(n)
    ipr.link("add", ifname="br0", kind="bridge")
    br = ipr.link_lookup(ifname="br0")[0]
    ipr.link("set", index=br, state="up")
    for i in range(1, n + 1):
        node = "%s%d" % (pfx, i)
        netns.create(node)
        h = "h%d" % i
        ipr.link("add", ifname=h, kind="veth", peer={"ifname": "eth0", "net_ns_fd": node})
        hi = ipr.link_lookup(ifname=h)[0]
        ipr.link("set", index=hi, master=br, state="up")
        # a socket opened inside the node namespace, used from here
        netns.pushns(node)
        try:
            nipr = IPRoute()
        finally:
            netns.popns()
        with nipr:
            e = nipr.link_lookup(ifname="eth0")[0]
            nipr.addr("add", index=e, address="10.200.%d.%d" % ((i >> 8) & 255, i & 255), prefixlen=16)
            nipr.link("set", index=e, state="up")
    print("nodes=%d" % n)


def star_down(ipr, n, pfx):
    for i in range(1, int(n) + 1):
        netns.remove("%s%d" % (pfx, i))
    ipr.link("del", index=ipr.link_lookup(ifname="br0")[0])
    print("nodes=0")


def routes(ipr, cmd, n, table, dev, first=0):
    oif = ipr.link_lookup(ifname=dev)[0]
    table, first, n = int(table), int(first), int(n)
    # proto boot and scope link are what `ip route add DST dev DEV` sets
    for i in range(first, first + n):
        if cmd == "add":
            ipr.route("add", dst=prefix(i), dst_len=24, oif=oif, table=table, proto="boot", scope="link")
        else:
            ipr.route("del", dst=prefix(i), dst_len=24, oif=oif, table=table, proto="boot", scope="link")
    print("routes=%d" % n)


def dump(ipr, table):
    out = []
    # route("dump", table=) puts RTA_TABLE in the request: with strict_check the
    # kernel filters (get_routes(table=) would filter in Python)
    for r in ipr.route("dump", family=socket.AF_INET, table=int(table)):
        # every field users ask for, into Python values
        out.append((
            r.get_attr("RTA_DST"), r["dst_len"], r.get_attr("RTA_GATEWAY"),
            r.get_attr("RTA_OIF"), r.get_attr("RTA_TABLE"), r["proto"], r["scope"],
            r["type"], r.get_attr("RTA_PRIORITY"), r.get_attr("RTA_PREFSRC"), r["flags"],
        ))
    print("routes=%d" % len(out))


def links(ipr):
    by_index = {}
    for l in ipr.get_links():
        by_index[l["index"]] = {
            "name": l.get_attr("IFLA_IFNAME"), "index": l["index"], "flags": l["flags"],
            "mtu": l.get_attr("IFLA_MTU"), "address": l.get_attr("IFLA_ADDRESS"),
            "master": l.get_attr("IFLA_MASTER"), "operstate": l.get_attr("IFLA_OPERSTATE"),
            "addrs": [],
        }
    joined = 0
    for a in ipr.get_addr():
        e = by_index.get(a["index"])
        if e is not None:
            e["addrs"].append((a.get_attr("IFA_ADDRESS"), a["prefixlen"], a.get_attr("IFA_LABEL")))
            joined += 1
    print("links=%d addrs=%d" % (len(by_index), joined))


def lookup(ipr, k, n):
    found = 0
    for t in range(int(k)):
        name = "d%d" % ((t * 7919) % int(n))
        try:
            (l,) = ipr.link("get", ifname=name)
            if l.get_attr("IFLA_IFNAME") == name:
                found += 1
        except NetlinkError:
            pass
    print("found=%d" % found)


def route_get(ipr, n):
    found = 0
    for i in range(int(n)):
        v = i + 2
        dst = "10.%d.%d.%d" % ((v >> 16) & 255, (v >> 8) & 255, v & 255)
        for r in ipr.route("get", dst=dst):
            if r.get_attr("RTA_OIF"):
                found += 1
    print("found=%d" % found)


# W7: netem handle e1: delay 10ms loss 1% rate 10mbit (change: 20ms 2%
# 20mbit), or tbf handle e2: rate 10mbit burst 12500 limit 1514000 (change:
# 20mbit burst 25000), at the root of h1..hN; del removes it
IMPAIR = {
    ("netem", "add"): dict(delay=10000, loss=1, rate="10mbit"),
    ("netem", "change"): dict(delay=20000, loss=2, rate="20mbit"),
    ("tbf", "add"): dict(rate="10mbit", burst=12500, limit=1514000),
    ("tbf", "change"): dict(rate="20mbit", burst=25000, limit=1514000),
}


def impair(ipr, phase, n, kind):
    handle = 0xE1 << 16 if kind == "netem" else 0xE2 << 16
    for i in range(1, int(n) + 1):
        idx = ipr.link_lookup(ifname="h%d" % i)[0]
        if phase == "del":
            ipr.tc("del", index=idx, handle=handle, parent=0xFFFFFFFF)
        else:
            ipr.tc(phase, kind, idx, handle, parent=0xFFFFFFFF, **IMPAIR[(kind, phase)])
    print("impaired=%d" % (0 if phase == "del" else int(n)))


def main(argv):
    if len(argv) > 2 and argv[1] == "-n":
        netns.setns(argv[2], flags=0)
        argv = argv[:1] + argv[3:]
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    with IPRoute(strict_check=(cmd == "dump")) as ipr:
        if cmd == "veth":
            veth(ipr, *args)
        elif cmd == "star-up":
            star_up(ipr, *args)
        elif cmd == "star-down":
            star_down(ipr, *args)
        elif cmd in ("routes-add", "routes-del"):
            routes(ipr, cmd[7:], *args)
        elif cmd == "dump":
            dump(ipr, *args)
        elif cmd == "links":
            links(ipr)
        elif cmd == "lookup":
            lookup(ipr, *args)
        elif cmd == "route-get":
            route_get(ipr, *args)
        elif cmd == "impair":
            impair(ipr, *args)
        elif cmd == "startup":
            print("ok")
        else:
            sys.exit("unknown command %s" % cmd)


if __name__ == "__main__":
    main(sys.argv)
