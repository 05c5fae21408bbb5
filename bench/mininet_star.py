#!/usr/bin/python3
"""Mininet peer of workload 2 (star of N hosts on one Linux bridge).

usage: ip netns exec SCRATCH /usr/bin/python3 mininet_star.py N

Does what `mn --switch lxbr --controller none --topo single,N --test none`
does (same classes and arguments as /usr/bin/mn builds them), with two
differences that keep the benchmark off the host:
  * it runs inside a scratch namespace (the harness starts it with
    `ip netns exec`), so the bridge s1 and the switch-side veths live there;
  * Mininet.init() is skipped: its fixLimits() raises host-wide sysctls.
Host addresses come from ipBase 10.200.0.0/16, which gives host i the same
address as every other peer: 10.200.<i/256>.<i%256>/16.

Mininet hosts are unnamed namespaces held by a shell process (not
/run/netns entries), so the harness cannot inspect them afterwards: the
state check runs here, between bring-up and teardown (not timed).

Prints: time:up=SECONDS, time:down=SECONDS and nodes=N (or an error).
"""
import subprocess
import sys
import time

from mininet.link import Link
from mininet.log import setLogLevel
from mininet.net import Mininet
from mininet.node import NullController
from mininet.nodelib import LinuxBridge
from mininet.topo import SingleSwitchTopo


def main():
    n = int(sys.argv[1])
    setLogLevel("error")
    Mininet.inited = True  # skip fixLimits(): host-wide sysctls
    t0 = time.monotonic()
    net = Mininet(topo=SingleSwitchTopo(k=n), switch=LinuxBridge, controller=[NullController],
                  link=Link, ipBase="10.200.0.0/16", inNamespace=False, xterms=False,
                  autoSetMacs=False, autoStaticArp=False, autoPinCpus=False,
                  waitConnected=False)
    try:
        net.start()
        t1 = time.monotonic()
        # state check (not timed)
        ports = subprocess.run(["ip", "-o", "link", "show", "master", "s1", "up"],
                               capture_output=True, text=True, check=True).stdout
        nports = len(ports.splitlines())
        good = 0
        for i, h in enumerate(net.hosts, 1):
            want = "10.200.%d.%d/16" % (i >> 8, i & 255)
            out = h.cmd("ip -o -4 addr show up")
            if h.name == "h%d" % i and (" %s " % want) in out:
                good += 1
    finally:
        t2 = time.monotonic()
        net.stop()
        t3 = time.monotonic()
    print("time:up=%.6f" % (t1 - t0))
    print("time:down=%.6f" % (t3 - t2))
    if nports == n and good == n:
        print("nodes=%d" % n)
    else:
        print("nodes=BAD ports=%d hosts_ok=%d" % (nports, good))


if __name__ == "__main__":
    main()
