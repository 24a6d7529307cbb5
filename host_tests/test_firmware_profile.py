"""The board profile on real firmware: build/qemu/MPS2_AN385-profile (`make
firmware-qemu`), the MPS2 AN385 (Cortex-M3, LAN9118, 140 KiB heap) with only
what firmware/manifest.py freezes by default: IPv4, ARP, ICMP, UDP, TCP,
DHCP, DNS, the socket module, the asyncio driver; no network.LAN, IPv6,
IPv4 multicast, reassembly, apps, REPL helpers, debug aids or test server.
What a board of its class would flash must boot and work:

- the parts left out are absent, and Config's defaults follow (IPv6, IGMP
  and reassembly off); asking for one is a clear ValueError (ImportError for
  network.LAN, OSError(-2) for a NAME.local lookup);
- an Interface with a Dhcpv4Socket gets a lease from dnsmasq, and the socket
  module resolves a name through the leased server;
- an asyncio echo server over smolnet.compat.socket serves 4 kernel clients
  at once, and the board answers ping.

CPython pytest, root only; fails (never skips) without QEMU or the firmware.
"""
import re
import sys

import pytest

from netns import Netns, kernel_ping, assert_all_answered, KERNEL_IP
from qemu_board import QemuBoard
from test_firmware_qemu import ECHO_CLIENTS, ECHO_SERVER
from test_interop_dnsmasq import start_dnsmasq

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def board():
    with Netns(tap=True) as ns, QemuBoard(ns, "MPS2_AN385", name="mps2-profile",
                                          variant="profile") as b:
        yield ns, b


PARTS = """
from smolnet.config import Config
c = Config()
print("defaults", c.ipv6, c.multicast_groups, c.reassembly_slots)
for m in ("smolnet.iface.ipv6", "smolnet.iface.igmp", "smolnet.iface.reasm4",
          "smolnet.apps.http", "smolnet.phy.fault", "server", "smolnet.repl",
          "smolnet.socket.tcp_rack", "smolnet.socket.tcp_cookie",
          "smolnet.compat.network", "smolnet.compat._mdns", "smolnet.iface.interface", "smolnet.socket.tcp", "smolnet.socket.dhcpv4",
          "smolnet.socket.dns", "smolnet.compat.socket", "smolnet.aio"):
    try:
        __import__(m)
        print("present", m)
    except ImportError:
        print("absent", m)
try:
    Config(ipv6=True)
except ValueError as e:
    print("error", e)
from smolnet.socket.tcp import TcpSocket
try:
    TcpSocket(cc="cubic")
except ValueError as e:
    print("error", e)
try:
    TcpSocket(rack=True)
except ValueError as e:
    print("error", e)
from smolnet.socket.tcp_conn import sack_state
t = TcpSocket(1024, 1024)
sack_state(t)
print("rack", type(t.rack).__name__)
from smolnet.socket.tcp_listen import TcpListener
try:
    TcpListener(syn_cookies=True)
except ValueError as e:
    print("error", e)
print("cookies", TcpListener(1, 512, 512).cookies)
try:
    from smolnet.compat import network
except ImportError as e:
    print("error", e)
"""


def test_left_out_parts_are_absent_and_defaults_follow(board):
    ns, b = board
    b.soft_reset()
    out = b.exec(PARTS)
    assert "defaults False 0 0" in out, out
    for m in ("smolnet.iface.ipv6", "smolnet.iface.igmp", "smolnet.iface.reasm4",
              "smolnet.apps.http", "smolnet.phy.fault", "server", "smolnet.repl",
              "smolnet.socket.tcp_rack", "smolnet.socket.tcp_cookie",
              "smolnet.compat.network", "smolnet.compat._mdns"):
        assert "absent " + m in out, out
    for m in ("smolnet.iface.interface", "smolnet.socket.tcp", "smolnet.socket.dhcpv4",
              "smolnet.socket.dns", "smolnet.compat.socket", "smolnet.aio"):
        assert "present " + m in out, out
    assert "error Config(ipv6=True): this build has no smolnet.iface.ipv6; freeze it " \
           "with the manifest option ipv6=True" in out, out
    assert "error cc='cubic': this build has no smolnet.socket.tcp_cubic; freeze it " \
           "with the manifest option cubic=True" in out, out
    # without RACK, SACK recovery runs on RFC 6675 alone (tcp_sack.NO_RACK)
    assert "error rack=True: this build has no smolnet.socket.tcp_rack; freeze it " \
           "with the manifest option rack=True" in out, out
    assert "rack NoRack" in out, out
    # without SYN cookies a full accept queue drops SYNs (syn_dropped)
    assert "error syn_cookies=True: this build has no smolnet.socket.tcp_cookie; " \
           "freeze it with the manifest option cookies=True" in out, out
    assert "cookies None" in out, out
    # network.LAN is the lan option's
    assert "error this build has no smolnet.compat.network; freeze it with the manifest " \
           "option lan=True" in out, out


# without network.LAN (the manifest option lan=True): the Interface, its
# DHCP client and the socket module's resolver, brought up by hand
BRINGUP = """
import smolnet.compat.socket as socket
from boards.lan9118 import LAN9118
from smolnet.iface.interface import Interface
from smolnet.socket.dhcpv4 import Dhcpv4Socket
from smolnet.wire import ipaddr
socket.install()
iface = Interface(LAN9118())
net = socket.use(iface)
dhcp = iface.add_socket(Dhcpv4Socket(hostname="qboard"))
net.wait(lambda: dhcp.configured, 60000)
net.set_dns(dhcp.lease.dns_servers())
print("lease", dhcp.lease.cidr(), "dns", ipaddr.fmt4(dhcp.lease.dns_servers()[0]))
print("resolved", socket.getaddrinfo("smolnet.example", 80)[0][-1])
try:
    socket.getaddrinfo("qboard.local", 80)
except OSError as e:
    print("local", e.args[0])
""" + ECHO_SERVER + """
dhcp.close()
"""


def test_dhcp_dns_and_asyncio_echo(board):
    ns, b = board
    b.soft_reset()
    dnsmasq = start_dnsmasq(ns, name="dnsmasq-profile")
    try:
        b.start(BRINGUP)
        out = b.read_until("ready", 120, running=True).decode()
    finally:
        log = ns.stop(dnsmasq)
    m = re.search(r"lease (192\.0\.2\.\d+)/24 dns (\S+)", out)
    assert m and m.group(2) == KERNEL_IP, out + log
    ip = m.group(1)
    assert "resolved ('192.0.2.77', 80)" in out, out
    assert "local -2" in out, out          # no mDNS resolver without lan=True
    p = kernel_ping(ns, ip, 5)
    assert_all_answered(p, 5)
    r = ns.run(sys.executable, "-c", ECHO_CLIENTS, ip, timeout=120)
    assert r.stdout.strip() == str([(k, True, 20) for k in range(4)]), r.stdout
    rest = b.finish(60)            # from just after "ready": " <mem_free>", ...
    out += rest
    assert "served 4" in out, out
    free = int(rest.split()[0])
    print("board profile: %d bytes of the 140 KiB heap free with DHCP, DNS and "
          "an asyncio server up" % free)
    assert free > 40000, out
