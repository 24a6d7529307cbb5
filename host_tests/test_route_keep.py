# runtimes: cpython unix wasm
# A TCP socket keeps the answer of its last tx_begin() (the link header and
# source for its peer: tcp_emit._route, the contract in interface.py) and
# uses it only while nothing it depends on changed (the neighbor cache's
# gen: neighbor entries, routes, addresses) and the neighbor entry it came
# from lives. Every change below must show in the very next segment.
from smolnet.iface.interface import Interface
from smolnet.config import Config
from smolnet.socket.tcp import TcpSocket
from smolnet.wire import ipaddr

MAC_US = b"\x02\x00\x00\x00\x00\x01"
MAC_GW1 = b"\x02\x00\x00\x00\x00\x11"
MAC_GW2 = b"\x02\x00\x00\x00\x00\x12"
MAC_PEER = b"\x02\x00\x00\x00\x00\x21"
MAC_NEW = b"\x02\x00\x00\x00\x00\x31"
GW1 = ipaddr.parse4("192.0.2.254")
GW2 = ipaddr.parse4("192.0.2.253")
NEAR = ipaddr.parse4("192.0.2.7")         # on the /24
FAR = ipaddr.parse4("192.0.3.5")          # beyond it (through a gateway), or on a /16
BROADCAST = b"\xff" * 6


class Recorder:
    """A device that keeps every frame sent and receives nothing."""
    mac = MAC_US
    mtu = 1514
    medium = 1      # smolnet.phy.device.MEDIUM_ETHERNET
    poll_obj = None
    flag = None

    def __init__(self):
        self.frames = []

    def recv_into(self, buf):
        return 0

    def send(self, buf, n):
        self.frames.append(bytes(buf[:n]))
        return True


def _iface(ttl_ms=60000):
    dev = Recorder()
    i = Interface(dev, Config(strict=True, reassembly_slots=0, neighbor_ttl_ms=ttl_ms))
    i.add_ip("192.0.2.1/24")
    i.routes.add_default(GW1)
    i.neighbors.fill(GW1, 0, 4, MAC_GW1, 0, 0)
    i.neighbors.fill(GW2, 0, 4, MAC_GW2, 0, 0)
    i.neighbors.fill(NEAR, 0, 4, MAC_PEER, 0, 0)
    i.neighbors.fill(FAR, 0, 4, MAC_PEER, 0, 0)
    return i, dev


def _syns(i, dev, s, now):
    """Poll at now; the (destination MAC, IP destination) of each TCP SYN
    sent, and how many ARP requests."""
    del dev.frames[:]
    i.poll(now)
    syns = [(f[0:6], f[30:34]) for f in dev.frames
            if f[12:14] == b"\x08\x00" and f[23] == 6 and f[47] & 0x02]
    arps = [f for f in dev.frames if f[12:14] == b"\x08\x06"]
    for f in dev.frames:
        if f[12:14] == b"\x08\x00":
            assert f[6:12] == MAC_US and f[26:30] == ipaddr.parse4("192.0.2.1")
    return syns, len(arps)


def _connect(i, dev, dst):
    # the SYN at 0 (its answer kept), then its retransmissions: the RTO
    # starts at 1 s and doubles, so one goes at each of these times
    s = i.add_socket(TcpSocket(512, 512))
    s.connect(dst, 80)
    syns, arps = _syns(i, dev, s, 0)
    assert len(syns) == 1 and arps == 0
    return s, syns[0]


RTX = (1000, 3000, 7000, 15000, 31000)


def test_kept_while_nothing_changes():
    i, dev = _iface()
    s, first = _connect(i, dev, FAR)
    assert first == (MAC_GW1, FAR)
    assert s.rc_gen == i.neighbors.gen
    # the table changed behind the generation's back (no real code does
    # this): a socket that keeps its answer does not see it, which shows
    # that the retransmission did not ask tx_begin again
    i.neighbors.macs[0:6] = MAC_NEW
    assert _syns(i, dev, s, RTX[0]) == ([(MAC_GW1, FAR)], 0)


def test_route_change():
    i, dev = _iface()
    s, first = _connect(i, dev, FAR)
    assert first == (MAC_GW1, FAR)
    i.routes.add_default(GW2)               # replaces the default route
    assert _syns(i, dev, s, RTX[0]) == ([(MAC_GW2, FAR)], 0)
    i.routes.add("192.0.3.0/24", GW1)       # a longer prefix, back through GW1
    assert _syns(i, dev, s, RTX[1]) == ([(MAC_GW1, FAR)], 0)
    i.routes.remove("192.0.3.0/24")
    assert _syns(i, dev, s, RTX[2]) == ([(MAC_GW2, FAR)], 0)
    i.routes.clear()                        # no route: nothing sent
    assert _syns(i, dev, s, RTX[3]) == ([], 0)
    assert i.stats.tx_no_route == 1


def test_address_change():
    i, dev = _iface()
    s, first = _connect(i, dev, FAR)
    assert first == (MAC_GW1, FAR)
    i.add_ip("192.0.2.1/16")                # FAR is on-link from here on
    assert _syns(i, dev, s, RTX[0]) == ([(MAC_PEER, FAR)], 0)
    i.add_ip("192.0.2.1/24")
    assert _syns(i, dev, s, RTX[1]) == ([(MAC_GW1, FAR)], 0)


def test_neighbor_change():
    i, dev = _iface()
    s, first = _connect(i, dev, NEAR)
    assert first == (MAC_PEER, NEAR)
    # an ARP reply or request that moves the entry to another MAC
    i.neighbors.update(NEAR, 0, 4, MAC_NEW, 0, 500)
    assert _syns(i, dev, s, RTX[0]) == ([(MAC_NEW, NEAR)], 0)
    # the entry forgotten: ARP, the segment held
    i.neighbors.remove(NEAR, 0, 4)
    assert _syns(i, dev, s, RTX[1]) == ([], 1)
    i.neighbors.fill(NEAR, 0, 4, MAC_PEER, 0, RTX[1])
    assert _syns(i, dev, s, RTX[1] + 20) == ([(MAC_PEER, NEAR)], 0)
    # the whole table cleared (the next retransmission: when the timer
    # says, the held SYN having moved it)
    i.neighbors.clear()
    assert _syns(i, dev, s, s.rtx_at) == ([], 1)


def test_neighbor_evicted():
    # the peer's entry taken for another neighbor: the next segment asks
    i, dev = _iface()
    s, first = _connect(i, dev, NEAR)
    assert first == (MAC_PEER, NEAR)
    for k in range(len(i.neighbors.state)):
        a = ipaddr.parse4("192.0.2.%d" % (100 + k))
        i.neighbors.fill(a, 0, 4, MAC_NEW, 0, 1 + k)
    assert i.neighbors.lookup(NEAR, 0, 4, RTX[0]) == -1
    assert _syns(i, dev, s, RTX[0]) == ([], 1)


def test_neighbor_expiry():
    # the entry's lifetime ends: the segment after it is not sent from the
    # kept answer but waits for ARP, as without the note
    i, dev = _iface(ttl_ms=2000)
    i.neighbors.fill(NEAR, 0, 4, MAC_PEER, 0, 0)
    s, first = _connect(i, dev, NEAR)
    assert first == (MAC_PEER, NEAR)
    assert _syns(i, dev, s, RTX[0]) == ([(MAC_PEER, NEAR)], 0)    # 1 s old: alive
    assert _syns(i, dev, s, 1999) == ([], 0)                       # nothing due
    assert _syns(i, dev, s, RTX[1]) == ([], 1)                     # 3 s old: gone
    assert i.stats.tx_neighbor_pending == 1
    # the answer comes: the held SYN goes (tcp_emit's hold, 20 ms)
    i.neighbors.fill(NEAR, 0, 4, MAC_NEW, 0, RTX[1] + 5)
    assert _syns(i, dev, s, RTX[1] + 20) == ([(MAC_NEW, NEAR)], 0)


def test_a_new_peer_is_not_sent_the_old_answer():
    # the same socket, aborted and connected elsewhere (no change to the
    # table between): its SYN goes to the new peer's MAC
    i, dev = _iface()
    s, first = _connect(i, dev, NEAR)
    assert first == (MAC_PEER, NEAR)
    s.abort()
    i.poll(1)
    s.connect(FAR, 80)
    assert _syns(i, dev, s, 2) == ([(MAC_GW1, FAR)], 0)


# --- datagram sockets (UDP, ICMP: smolnet/socket/datagram.py begin_head)
def _udp_out(i, dev, now):
    """Poll at now; (destination MAC, IP source, IP destination) of each
    UDP datagram sent, and how many ARP requests."""
    del dev.frames[:]
    i.poll(now)
    out = [(f[0:6], f[26:30], f[30:34]) for f in dev.frames
           if f[12:14] == b"\x08\x00" and f[23] == 17]
    return out, len([f for f in dev.frames if f[12:14] == b"\x08\x06"])


def _udp(i):
    from smolnet.socket.udp import UdpSocket
    u = i.add_socket(UdpSocket())
    u.bind(4000)
    return u


US = ipaddr.parse4("192.0.2.1")


def test_datagram_kept_while_nothing_changes():
    i, dev = _iface()
    u = _udp(i)
    u.send_to(b"x", 1, FAR, 9)
    assert _udp_out(i, dev, 0) == ([(MAC_GW1, US, FAR)], 0)
    assert u._kept.gen == i.neighbors.gen
    i.neighbors.macs[0:6] = MAC_NEW         # behind gen's back: not seen
    u.send_to(b"x", 1, FAR, 9)
    assert _udp_out(i, dev, 1) == ([(MAC_GW1, US, FAR)], 0)


def test_datagram_other_destination_is_not_sent_the_kept_answer():
    i, dev = _iface()
    u = _udp(i)
    u.send_to(b"x", 1, FAR, 9)
    u.send_to(b"x", 1, NEAR, 9)
    u.send_to(b"x", 1, FAR, 9)
    assert _udp_out(i, dev, 0) == ([(MAC_GW1, US, FAR), (MAC_PEER, US, NEAR),
                                    (MAC_GW1, US, FAR)], 0)


def test_datagram_changes_reach_the_next_datagram():
    i, dev = _iface(ttl_ms=2000)
    i.neighbors.fill(NEAR, 0, 4, MAC_PEER, 0, 0)
    u = _udp(i)
    u.send_to(b"x", 1, FAR, 9)
    assert _udp_out(i, dev, 0) == ([(MAC_GW1, US, FAR)], 0)
    i.routes.add_default(GW2)               # a route
    u.send_to(b"x", 1, FAR, 9)
    assert _udp_out(i, dev, 1) == ([(MAC_GW2, US, FAR)], 0)
    i.add_ip("192.0.3.9/24")                # an address: FAR on-link, another source
    u.send_to(b"x", 1, FAR, 9)
    assert _udp_out(i, dev, 2) == ([(MAC_PEER, ipaddr.parse4("192.0.3.9"), FAR)], 0)
    u.send_to(b"x", 1, NEAR, 9)
    assert _udp_out(i, dev, 3) == ([(MAC_PEER, US, NEAR)], 0)
    i.neighbors.update(NEAR, 0, 4, MAC_NEW, 0, 4)     # a neighbor
    u.send_to(b"x", 1, NEAR, 9)
    assert _udp_out(i, dev, 5) == ([(MAC_NEW, US, NEAR)], 0)
    # its lifetime (2 s from 4 ms): alive at 2003, gone at 2004
    u.send_to(b"x", 1, NEAR, 9)
    assert _udp_out(i, dev, 2003) == ([(MAC_NEW, US, NEAR)], 0)
    u.send_to(b"x", 1, NEAR, 9)
    assert _udp_out(i, dev, 2004) == ([], 1)


def test_datagram_from_a_bound_address_asks_tx_begin():
    # a socket bound to an address (s._from) keeps nothing
    from smolnet.socket.udp import UdpSocket
    i, dev = _iface()
    u = i.add_socket(UdpSocket())
    u.bind(4000, "192.0.2.1")
    u.send_to(b"x", 1, NEAR, 9)
    assert _udp_out(i, dev, 0) == ([(MAC_PEER, US, NEAR)], 0)
    assert u._kept.gen == -1


def test_ping_kept_answer():
    from smolnet.socket.icmp import IcmpSocket
    i, dev = _iface()
    s = i.add_socket(IcmpSocket())
    s.bind(7)
    for now in (0, 1):
        del dev.frames[:]
        s.send_echo(NEAR, now, b"abc", 3)
        i.poll(now)
        assert [(f[0:6], f[30:34], f[34]) for f in dev.frames] == [(MAC_PEER, NEAR, 8)]
    i.neighbors.update(NEAR, 0, 4, MAC_NEW, 0, 1)
    del dev.frames[:]
    s.send_echo(NEAR, 2, b"abc", 3)
    i.poll(2)
    assert [f[0:6] for f in dev.frames] == [MAC_NEW]
