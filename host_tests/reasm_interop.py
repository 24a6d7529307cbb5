"""What test_interop_reasm4 and test_interop_reasm6 both run: smolnet on
the MicroPython unix port receiving UDP datagrams on port 6969, printing
the length and SHA-256 of each and answering with them, until "bye"; then
its counters. CPython only (a helper for root tests, not a test module).
"""
import os

from netns import micropython, ROOT, SMOLNET_IF

# smolnet's side, on the MicroPython unix port:
#   argv: interface, address/prefix, pcap path, Config keywords with
#   integer values ("ipv6=0,reassembly_timeout_ms=700")
SMOLNET_RX = r"""
import sys, time, hashlib, binascii
from smolnet.phy.afpacket import AfPacket
from smolnet.phy.pcap import PcapWriter
from smolnet.iface.interface import Interface
from smolnet.iface.stats import NAMES
from smolnet.config import Config
from smolnet.socket.udp import UdpSocket

dev = PcapWriter(AfPacket(sys.argv[1], b"\x02\x00\x00\x00\x00\x01"), sys.argv[3])
kw = {}
for a in sys.argv[4].split(","):
    k, v = a.split("=")
    kw[k] = int(v)
iface = Interface(dev, Config(**kw))
iface.add_ip(sys.argv[2])
u = iface.add_socket(UdpSocket(rx_slots=4, rx_bytes=16384, tx_slots=4, tx_bytes=1024))
u.bind(6969)
buf = bytearray(8192)
print("ready")
running = True
while running:
    iface.poll(time.ticks_ms())
    while True:
        n = u.recv_into(buf)
        if n < 0:
            break
        if n == 3 and buf[:3] == b"bye":
            running = False
            break
        h = binascii.hexlify(hashlib.sha256(buf[:n]).digest()).decode()
        print("got", n, h)
        r = ("ok %d %s" % (n, h)).encode()
        u.send_to(r, len(r), u.peer_addr, u.peer_port)
    time.sleep_ms(1)
for _ in range(20):                    # let the last answers leave
    iface.poll(time.ticks_ms())
    time.sleep_ms(1)
st = iface.stats
print("iface: " + " ".join("%s=%d" % (k, getattr(st, k)) for k in NAMES))
dev.close()
print("stopped")
"""



# the kernel's side: one UDP socket the kernel may fragment on (IPv4 with
# IP_PMTUDISC_DONT; IPv6 fragments past the MTU unless IPV6_DONTFRAG is
# set); argv: smolnet's address, then sizes, one datagram each: a size
# prefixed with "-" expects no answer
KERNEL_TX = r"""
import hashlib, socket, sys
if ":" in sys.argv[1]:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_MTU_DISCOVER", 10),
                 getattr(socket, "IP_PMTUDISC_DONT", 0))
s.connect((sys.argv[1], 6969))
for arg in sys.argv[2:]:
    n = abs(int(arg))
    data = bytes(((i * 131) ^ (i >> 8) ^ n) & 0xFF for i in range(n))
    want = hashlib.sha256(data).hexdigest()
    s.settimeout(1 if arg.startswith("-") else 3)
    s.send(data)
    try:
        print("sent", n, want, "answer", s.recv(200).decode(), flush=True)
    except socket.timeout:
        print("sent", n, want, "answer none", flush=True)
s.send(b"bye")
"""


def start(ns, cidr, config):
    """smolnet on SMOLNET_IF with address cidr and Config keywords config
    (a dict of ints), writing ns.path("reasm.pcap"); waits until ready."""
    path = ns.path("reasm_rx.py")
    with open(path, "w") as f:
        f.write(SMOLNET_RX)
    env = dict(os.environ, MICROPYPATH="%s:.frozen" % ROOT)
    kw = ",".join("%s=%d" % kv for kv in sorted(config.items()))
    p = ns.spawn("reasm_rx", [micropython(), path, SMOLNET_IF, cidr, ns.path("reasm.pcap"),
                              kw], env=env)
    p.wait_for_output("ready", timeout=20)
    return p
