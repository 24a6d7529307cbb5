# runtimes: cpython unix wasm
# The network.LAN-shaped NIC over an Interface on a Loopback device.
from smolnet.compat import network, stack
from smolnet.compat import socket
from smolnet.phy.loopback import Loopback
from smolnet.socket import errno
from support import raises


class _Dev(Loopback):
    link = True

    def link_up(self):
        return self.link


def test_bring_up_like_network_lan():
    stack.clear()
    dev = _Dev(mac=b"\x02\x00\x00\x00\x00\x07")
    nic = network.LAN(dev)
    dev.link = False
    assert nic.active() is False and nic.status() == 0
    dev.link = True
    assert nic.status() == 1 and not nic.isconnected()
    nic.active(True)
    assert nic.active() is True and nic.status() == 2
    assert stack.current().iface is nic.iface       # the socket default now
    nic.ipconfig(addr4="192.0.2.2/24", gw4="192.0.2.1")
    assert nic.isconnected() and nic.status() == 3
    assert nic.ipconfig("addr4") == ("192.0.2.2", "255.255.255.0")
    assert nic.ipconfig("gw4") == "192.0.2.1"
    assert nic.ipconfig("dhcp4") is False
    assert nic.iface.routes.entries() == [("0.0.0.0/0", "192.0.2.1")]
    assert nic.ifconfig() == ("192.0.2.2", "255.255.255.0", "192.0.2.1", "0.0.0.0")
    nic.active(False)
    assert not nic.isconnected()
    assert raises(OSError, socket.socket).args[0] == 19


def test_ifconfig_tuple_and_masks():
    nic = network.LAN(_Dev())
    nic.ifconfig(("198.51.100.7", "255.255.255.128", "198.51.100.1", "198.51.100.53"))
    assert nic.iface.ips() == ["198.51.100.7/25"]
    assert nic.ifconfig() == ("198.51.100.7", "255.255.255.128", "198.51.100.1", "198.51.100.53")
    assert network.ipconfig("dns") == "198.51.100.53"
    nic.ipconfig(addr4=("192.0.2.9", "255.255.0.0"))
    assert nic.iface.ips() == ["192.0.2.9/16"]
    raises(ValueError, nic.ipconfig, addr4=("192.0.2.9", "255.0.255.0"))
    nic.ipconfig(gw4="0.0.0.0")
    assert nic.iface.routes.entries() == []
    network.ipconfig(dns="0.0.0.0")      # the server is global: later NICs would use it


def test_config_mac_and_errors():
    nic = network.LAN(_Dev(mac=b"\x02\x00\x00\x00\x00\x01"))
    assert nic.config("mac") == b"\x02\x00\x00\x00\x00\x01"
    nic.config(mac=b"\x02\xaa\xbb\xcc\xdd\xee")
    assert nic.config("mac") == b"\x02\xaa\xbb\xcc\xdd\xee"
    assert nic.config("mtu") == 1500
    raises(ValueError, nic.config, "essid")
    raises(ValueError, nic.config, mac=b"\x01")
    raises(ValueError, nic.ipconfig, "bogus")
    raises(ValueError, nic.status, "rssi")
    assert raises(OSError, nic.ipconfig, autoconf6=True).args[0] == errno.EOPNOTSUPP
    network.hostname("board1")
    assert network.hostname() == "board1" and nic.config("hostname") == "board1"


def test_dhcp4_starts_the_client_and_a_static_address_stops_it():
    # the lease itself is tested against dnsmasq (test_interop_dnsmasq.py)
    nic = network.LAN(_Dev())
    nic.ipconfig(addr4="192.0.2.9/24")
    nic.ipconfig(dhcp4=True)
    assert nic.ipconfig("dhcp4") is True and nic.ipconfig("has_dhcp4") is False
    assert nic.active() and nic.iface.ips() == []      # the old address is gone
    assert not nic.isconnected()                       # no server on this device
    assert nic.status() == 2
    nic.ipconfig(addr4="192.0.2.9/24")
    assert nic.ipconfig("dhcp4") is False and nic.isconnected()
    assert not [s for s in nic.iface.sockets if s.__class__.__name__ == "Dhcpv4Socket"]


def test_lan_over_an_existing_interface():
    from smolnet.iface.interface import Interface
    iface = Interface(_Dev())
    nic = network.LAN(iface)
    assert nic.iface is iface


def test_ifconfig_dns_server_is_applied():
    # issue 12 item 3: set after active(True), or before it
    stack.clear()
    nic = network.LAN(_Dev())
    nic.active(True)
    nic.ifconfig(("192.0.2.2", "255.255.255.0", "192.0.2.1", "192.0.2.53"))
    n = stack.current()
    assert n.resolver is not None and n.dns is not None
    assert [bytes(s) for s in n.dns.servers()] == [bytes([192, 0, 2, 53])]
    nic.active(False)
    nic2 = network.LAN(_Dev())
    nic2.ifconfig(("192.0.2.3", "255.255.255.0", "192.0.2.1", "198.51.100.53"))
    nic2.active(True)
    n2 = stack.current()
    assert n2.iface is nic2.iface and n2.resolver is not None
    assert [bytes(s) for s in n2.dns.servers()] == [bytes([198, 51, 100, 53])]
    nic2.active(False)
    network.ipconfig(dns="0.0.0.0")


def test_active_lan_answers_its_hostname_by_mdns():
    # as on the lwIP ports: an active LAN with an address runs the mDNS
    # responder under network.hostname(); a new name or address probes
    # again; network.mdns(False) and active(False) stop it
    from netpair import NetPair
    from smolnet.apps.mdns import GROUP, PORT, READY, PROBING
    from smolnet.socket.udp import UdpSocket
    from smolnet.wire import ipaddr
    p = NetPair()
    p.a.join_multicast(GROUP)
    lis = UdpSocket(rx_slots=16, rx_bytes=4096)
    lis.bind(PORT)
    p.a.add_socket(lis)
    network.hostname("board")
    nic = network.LAN(p.b)
    assert nic.mdns is None
    nic.active(True)
    r = nic.mdns
    assert r is not None and r.name == "board.local" and r in p.b.sockets

    def answer(name):
        q = bytes(12) + name + b"\x00\x01\x00\x01"
        q = q[:5] + b"\x01" + q[6:]
        while lis.recv_into(bytearray(600)) >= 0:
            pass
        lis.send_to(q, len(q), ipaddr.parse4(GROUP), PORT)
        buf = bytearray(600)
        for _ in range(50):
            p.step(10)
            n = lis.recv_into(buf)
            if n > 0 and buf[2] & 0x80:
                a = 12 + len(name) + 10         # the answer: our A record
                return bytes(buf[a:a + 4])
        return None

    for _ in range(300):
        p.step(10)
    assert r.state == READY
    assert answer(b"\x05board\x05local\x00") == ipaddr.parse4("192.0.2.2")
    network.hostname("other")
    assert r.state == PROBING and r.name == "other.local"
    for _ in range(300):
        p.step(10)
    assert answer(b"\x05board\x05local\x00") is None
    assert answer(b"\x05other\x05local\x00") == ipaddr.parse4("192.0.2.2")
    nic.ipconfig(addr4="192.0.2.9/24")
    assert r.state == PROBING
    for _ in range(300):
        p.step(10)
    assert answer(b"\x05other\x05local\x00") == ipaddr.parse4("192.0.2.9")
    network.mdns(False)
    assert nic.mdns is None and r not in p.b.sockets and GROUP not in p.b.multicast_groups()
    network.mdns(True)
    assert nic.mdns is not None and nic.mdns in p.b.sockets
    nic.active(False)
    assert nic.mdns is None and network.mdns() is True
