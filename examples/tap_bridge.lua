-- tap + bridge: the seed's way of wiring a virtual machine to a host,
--
--   ip tuntap add tap0 mode tap user root
--   ip link add br0 type bridge
--   ip link set tap0 master br0; ip link set tap0 up; ip link set br0 up
--   ip addr add 10.60.0.1/24 dev br0
--
-- in a scratch namespace (vnet-tap-host) standing for the host. The virtual
-- machine is a small Python program that opens tap0 (as qemu would) and
-- answers ARP and ping for 10.60.0.100; the host pings it across br0.
--
--   lua5.4 examples/tap_bridge.lua
-- from a checkout, find its lua/ and vnet/core.so (an installed vnet, or LUA_PATH
-- and LUA_CPATH, come first)
local here = arg and arg[0] and arg[0]:match("^(.*)/examples/[^/]*$") or "."
package.path = package.path .. ";" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua;"
  .. here .. "/examples/?.lua"
package.cpath = package.cpath .. ";" .. here .. "/?.so"

local PREFIX = "vnet-tap-"
local step, netns, run_example = require "vnet_example" (PREFIX)

-- The stand-in VM: python3 VM.py TAP MAC IP CMD... attaches to TAP, runs
-- CMD (the pinger) and answers ARP and ICMP echo for IP until CMD exits.
local VM = [[
import fcntl, os, select, struct, subprocess, sys, time
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454CA, struct.pack("16sH22x", sys.argv[1].encode(), 0x0002 | 0x1000))
mac = bytes.fromhex(sys.argv[2].replace(":", ""))
ip = bytes(int(x) for x in sys.argv[3].split("."))
def csum(b):
    b = b + b"\0" * (len(b) % 2)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
time.sleep(1)  # the bridge port comes up with the carrier
cmd, seen = subprocess.Popen(sys.argv[4:]), 0
while cmd.poll() is None:
    if not select.select([fd], [], [], 0.1)[0]:
        continue
    f = os.read(fd, 65536)
    seen += 1
    if f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x01" and f[38:42] == ip:
        os.write(fd, f[6:12] + mac + b"\x08\x06" + f[14:20] + b"\x00\x02" + mac + ip + f[22:32])
    elif f[12:14] == b"\x08\x00" and f[23] == 1 and f[30:34] == ip:
        n = (f[14] & 15) * 4
        h, m = bytearray(f[14:14 + n]), bytearray(f[14 + n:])
        if m[0] == 8:
            h[12:16], h[16:20], h[10:12] = f[30:34], f[26:30], b"\0\0"
            h[10:12] = struct.pack("!H", csum(bytes(h)))
            m[0], m[2:4] = 0, b"\0\0"
            m[2:4] = struct.pack("!H", csum(bytes(m)))
            os.write(fd, f[6:12] + mac + b"\x08\x00" + bytes(h) + bytes(m))
print("the VM on %s saw %d frames" % (sys.argv[1], seen))
sys.exit(cmd.wait())
]]

local function run()
  local host = netns("host")
  local tap = step("ip tuntap add tap0 mode tap user root",
                   host:link_add{ name = "tap0", kind = "tap", owner = "root" })
  print(("  tap0: kind %s, type %s, owner %d, persistent %s"):format(
        tap.kind, tap.info.type, tap.info.owner, tostring(tap.info.persist)))
  local br = step("ip link add br0 type bridge", host:link_add{ name = "br0", kind = "bridge" })
  step("ip link set tap0 master br0 up", tap:set{ master = br, up = true })
  step("ip link set br0 up", br:set{ up = true })
  step("ip addr add 10.60.0.1/24 dev br0", br:addr_add("10.60.0.1/24"))

  print("the VM attaches to tap0; the host pings it across br0")
  local ok, out, err = host:exec{ "python3", "-c", VM, "tap0", "02:00:00:00:00:64",
                                  "10.60.0.100", "ping", "-c", "3", "-W", "2", "10.60.0.100" }
  if ok == nil then error("python3 (the stand-in VM) could not start: " .. tostring(out), 0) end
  io.write(out, err)
  if not ok then error("ping 10.60.0.100 through tap0 failed", 0) end
  local st = tap:refresh().stats
  print(("  tap0 carried %d packets to the VM and %d back")
        :format(st.tx_packets, st.rx_packets))
  if st.tx_packets == 0 or st.rx_packets == 0 then error("no traffic on tap0", 0) end
  step("ip link del tap0", tap:delete())
  if host:link("tap0") then error("tap0 is still there", 0) end
end

run_example("tap_bridge", run, "the VM on tap0 answered across br0, and everything is removed")
