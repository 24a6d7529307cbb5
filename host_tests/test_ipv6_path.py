# runtimes: cpython unix wasm
# The IPv6 packet path's shortcuts (smolnet/iface/ipv6.py, addr6.py), each
# tried on both sides: the cheap byte tests before the address walks (a
# source that starts 0 and ends 1 may be ::1, a destination that starts
# ff is a group, :: starts 0), the ICMPv6 checksum summed without its 58,
# the unicast echo reply's checksum patched for the type alone (RFC 1624)
# where it was summed anew, and source selection's packed key against the
# RFC 6724 ranking it replaced.
from smolnet.phy.loopback import Loopback
from smolnet.iface.interface import Interface
from smolnet.iface.addr6 import Addrs6, TENTATIVE, PREFERRED, DEPRECATED, MANUAL, SLAAC
from smolnet.config import Config
from smolnet.socket.udp import UdpSocket
from smolnet.wire import ipaddr, ipv6, icmpv6, udp, checksum
from smolnet.fast import sum16
from vectors6 import KERNEL_MAC, PEER_MAC, KERNEL_IP6
from prng import Prng

_IP = 14
_L4 = 54
B6 = ipaddr.parse6("2001:db8::2")


def _one(cfg=None):
    """An Interface at 2001:db8::2/64 on PEER_MAC with a UDP socket on port
    7, and the test's end of the cable (at KERNEL_MAC)."""
    dev, peer = Loopback.pair(mac_a=PEER_MAC, mac_b=KERNEL_MAC)
    i = Interface(dev, cfg or Config(strict=True))
    i.add_ip("2001:db8::2/64")
    u = i.add_socket(UdpSocket())
    u.bind(7)
    return i, u, peer


def _frame(src, dst, nh, body, hops=64):
    h = bytearray(40)
    ipv6.emit(h, 0, src, 0, dst, 0, nh, len(body), hops)
    return bytes(PEER_MAC) + bytes(KERNEL_MAC) + b"\x86\xdd" + bytes(h) + bytes(body)


def _udp_frame(src, dst=B6, data=b"hello"):
    b = bytearray(8 + len(data))
    udp.emit(b, 0, 40000, 7, len(data))
    b[8:] = data
    udp.fill_checksum(b, 0, len(b), checksum.pseudo6(src, 0, dst, 0, 17, len(b)))
    return _frame(src, dst, 17, b)


def _echo_body(src, dst, code, payload):
    b = bytearray(8 + len(payload))
    icmpv6.emit_header(b, 0, icmpv6.TYPE_ECHO_REQUEST, code, 0x1234, 7)
    b[8:] = payload
    icmpv6.fill_checksum(b, 0, len(b), checksum.pseudo6(src, 0, dst, 0, 58, len(b)))
    return b


def _out(peer):
    buf = bytearray(1600)
    n = peer.recv_into(buf)
    return bytes(buf[:n]) if n else None


def _feed(i, peer, frame):
    peer.send(frame, len(frame))
    i.poll(0)
    return _out(peer)


# --- receive: sources and destinations -------------------------------------------
def test_sources_loopback_and_multicast_dropped_lookalikes_delivered():
    for src, dropped in (("::1", True), ("ff02::1", True), ("ff0e::2:1", True),
                         ("::ffff:192.0.2.1", False),     # starts 0, ends 1
                         ("::2:0:0:1", False), ("100::1", False),
                         ("2001:db8::1", False), ("fe80::1", False), ("::", False)):
        i, u, peer = _one()
        _feed(i, peer, _udp_frame(ipaddr.parse6(src)))
        if dropped:
            assert i.stats.drop_bad_src == 1 and not u.can_recv(), src
        else:
            assert i.stats.drops() == 0, (src, i.stats)
            assert u.recvfrom()[0] == b"hello", src


def test_destinations_ours_groups_or_not_for_us():
    for dst, delivered in (("2001:db8::2", True), ("ff02::1", True),
                           ("ff02::1:ff00:2", True),     # our solicited-node group
                           ("ff02::1:ff00:3", False), ("ff05::1:3", False),
                           ("2001:db8::3", False), ("::", False),
                           ("2001:db8:1::2", False),     # our last byte, not our address
                           ("fe80::ff:fe00:2", False)):  # another MAC's link-local
        i, u, peer = _one()
        _feed(i, peer, _udp_frame(KERNEL_IP6, ipaddr.parse6(dst)))
        if delivered:
            assert u.recvfrom()[0] == b"hello", dst
        else:
            assert i.stats.drop_not_for_us == 1 and not u.can_recv(), dst


def test_any_ip_takes_every_unicast_destination_but_not_groups():
    for dst, delivered in (("2001:db8::3", True), ("2001:db8:1::9", True),
                           ("::", False), ("ff05::1:3", False)):
        i, u, peer = _one(Config(strict=True, any_ip=True))
        _feed(i, peer, _udp_frame(KERNEL_IP6, ipaddr.parse6(dst)))
        assert u.can_recv() == delivered, dst
        assert i.stats.drop_not_for_us == (0 if delivered else 1), dst


def test_a_tentative_address_is_not_ours():
    i, u, peer = _one(Config(strict=True, dad_transmits=1))
    assert "2001:db8::2/64 tentative" in i.ips6()
    _feed(i, peer, _udp_frame(KERNEL_IP6))
    assert i.stats.drop_not_for_us == 1 and not u.can_recv()


def test_version_and_length_errors():
    i, u, peer = _one()
    good = _udp_frame(KERNEL_IP6)
    f = bytearray(good)
    f[_IP] = 0x40
    _feed(i, peer, bytes(f))
    assert i.stats.drop_bad_ip_version == 1
    _feed(i, peer, bytes(f[:_IP + 39]))        # short: a length error, whatever its version
    assert i.stats.drop_bad_ip_length == 1 and i.stats.drop_bad_ip_version == 1
    f = bytearray(good)
    f[_IP + 5] += 1                            # one byte past the frame
    _feed(i, peer, bytes(f))
    assert i.stats.drop_bad_ip_length == 2
    _feed(i, peer, good + b"\0" * 7)           # link padding past the payload is fine
    assert u.recvfrom()[0] == b"hello"


# --- ICMPv6: the checksum and the echo reply ---------------------------------------
def test_icmp_checksum_needs_its_58():
    i, u, peer = _one()
    body = _echo_body(KERNEL_IP6, B6, 0, b"abcd")
    assert _feed(i, peer, _frame(KERNEL_IP6, B6, 58, body))
    # summed with another next header in the pseudo-header: dropped
    for nh in (0, 17, 59):
        b = bytearray(body)
        icmpv6.fill_checksum(b, 0, len(b), checksum.pseudo6(KERNEL_IP6, 0, B6, 0, nh, len(b)))
        assert _feed(i, peer, _frame(KERNEL_IP6, B6, 58, b)) is None, nh
    assert i.stats.drop_bad_checksum == 3
    # shorter than type, code and checksum: counted with the bad checksums
    assert _feed(i, peer, _frame(KERNEL_IP6, B6, 58, b"\x80\x00\xff")) is None
    assert i.stats.drop_bad_checksum == 4


def _expected_reply(request):
    """The echo reply built the long way: addresses and MACs swapped, type
    129, hop limit 64, the checksum summed anew."""
    r = bytearray(request)
    r[0:6], r[6:12] = request[6:12], request[0:6]
    r[_IP + 8:_IP + 24], r[_IP + 24:_IP + 40] = request[_IP + 24:_IP + 40], request[_IP + 8:_IP + 24]
    r[_IP + 7] = 64
    r[_L4] = icmpv6.TYPE_ECHO_REPLY
    n = len(r) - _L4
    icmpv6.fill_checksum(r, _L4, n, checksum.pseudo6(r, _IP + 8, r, _IP + 24, 58, n))
    return bytes(r) + b"\0" * (60 - len(r)) if len(r) < 60 else bytes(r)


def _echo_with_checksum(code, hc):
    """An echo request whose checksum field is hc: its last payload word
    set so that the rest sums to ~hc."""
    b = _echo_body(KERNEL_IP6, B6, code, bytes(10))
    b[2] = b[3] = 0
    want = ~hc & 0xFFFF
    s = sum16(b, 0, len(b), checksum.pseudo6(KERNEL_IP6, 0, B6, 0, 58, len(b)))
    w = (want - s) % 0xFFFF
    b[-2:] = bytes((w >> 8, w & 0xFF))
    b[2:4] = bytes((hc >> 8, hc & 0xFF))
    assert icmpv6.check(b, 0, len(b), checksum.pseudo6(KERNEL_IP6, 0, B6, 0, 58, len(b)))
    return b


def test_echo_reply_checksum_patched_as_summed_anew():
    i, u, peer = _one()
    rnd = Prng(6)
    for k in range(60):
        payload = rnd.fill(bytearray(rnd.below(120)))
        req = _frame(KERNEL_IP6, B6, 58, _echo_body(KERNEL_IP6, B6, rnd.byte(), payload))
        assert _feed(i, peer, req) == _expected_reply(req), k
    # the edges: ~HC + 0x0100 carrying out of 16 bits (HC up to 00ff), the
    # reply summing to all ones (HC 0100: the reply's checksum 0000), and
    # every other place a carry or fold could go wrong
    n = 0
    for hc in (0x0000, 0x0001, 0x0080, 0x00FF, 0x0100, 0x0101, 0x7FFF, 0x8000, 0xFEFF, 0xFFFE):
        for code in (0, 1, 0xFF):
            req = _frame(KERNEL_IP6, B6, 58, _echo_with_checksum(code, hc))
            rep = _feed(i, peer, req)
            assert rep == _expected_reply(req), (hex(hc), code)
            assert hc != 0x0100 or rep[_L4 + 2:_L4 + 4] == b"\0\0"
            n += 1
    # a request whose sum is carried as ffff rather than 0000 (both are
    # zero in one's complement: RFC 1071)
    b = _echo_with_checksum(0, 0x0000)
    b[2] = b[3] = 0xFF
    req = _frame(KERNEL_IP6, B6, 58, b)
    assert _feed(i, peer, req) == _expected_reply(req)
    assert i.stats.drops() == 0 and i.stats.icmp_echo_replies == 60 + n + 1


def test_echo_requests_not_answered():
    i, u, peer = _one()
    z = ipaddr.parse6("::")
    assert _feed(i, peer, _frame(z, B6, 58, _echo_body(z, B6, 0, b"x"))) is None
    assert i.stats.drop_bad_src == 1
    # a source that starts 0 but is not :: is answered
    s = ipaddr.parse6("::ffff:192.0.2.1")
    req = _frame(s, B6, 58, _echo_body(s, B6, 0, b"x"))
    assert _feed(i, peer, req) == _expected_reply(req)
    short = bytearray(_echo_body(KERNEL_IP6, B6, 0, b""))[:6]
    icmpv6.fill_checksum(short, 0, 6, checksum.pseudo6(KERNEL_IP6, 0, B6, 0, 58, 6))
    assert _feed(i, peer, _frame(KERNEL_IP6, B6, 58, short)) is None
    assert i.stats.drop_malformed == 1


# --- source selection ------------------------------------------------------------
def _reference_select(a, dst):
    """Addrs6.select as it was written before the packed key (RFC 6724 5:
    rule 2 scope, rule 3 preferred, rule 8 longest prefix)."""
    def ll(b, o):
        return b[o] == 0xFE and b[o + 1] & 0xC0 == 0x80

    def common(x, xo, y):
        n = 0
        for k in range(16):
            d = x[xo + k] ^ y[k]
            if d:
                while not d & 0x80:
                    n += 1
                    d <<= 1
                return n
            n += 8
        return n
    link = ll(dst, 0) or (dst[0] == 0xFF and dst[1] & 0x0F <= 2)
    best, best_key = -1, -1
    for i in range(a.n):
        if a.state[i] == TENTATIVE:
            continue
        key = 512 if ll(a.addrs, 16 * i) == link else 0
        if a.state[i] == PREFERRED:
            key += 256
        key += common(a.addrs, 16 * i, dst)
        if key > best_key:
            best, best_key = i, key
    return best


def test_select_ranks_as_rfc_6724_did():
    rnd = Prng(66)
    prefixes = ("fe80::", "2001:db8::", "2001:db8:0:1::", "2001:db8:8000::", "fd00::", "::")
    dsts = ("fe80::", "ff02::", "ff01::", "ff05::", "ff0e::", "2001:db8::", "2001:db8:0:1::",
            "fd00::", "2001:db9::", "::")
    for k in range(300):
        a = Addrs6(6)
        for j in range(rnd.below(7)):
            addr = bytearray(ipaddr.parse6(prefixes[rnd.below(len(prefixes))]))
            addr[8 + rnd.below(8)] = rnd.byte()
            a.add(addr, 0, 64, MANUAL, (TENTATIVE, PREFERRED, DEPRECATED)[rnd.below(3)])
        dst = bytearray(ipaddr.parse6(dsts[rnd.below(len(dsts))]))
        dst[2 + rnd.below(14)] = rnd.byte()
        if rnd.below(4) == 0 and a.n:
            dst[:] = a.addrs[0:16]              # the whole address shared
        assert a.select(dst, 0) == _reference_select(a, dst), (k, list(a.addrs), list(dst))
    # and with the destination elsewhere in a buffer
    a = Addrs6(2)
    a.add(ipaddr.parse6("fe80::1"), 0, 64, MANUAL, PREFERRED)
    a.add(ipaddr.parse6("2001:db8::1"), 0, 64, MANUAL, PREFERRED)
    buf = bytes(5) + ipaddr.parse6("2001:db8::9")
    assert a.select(buf, 5) == 1 and a.select(bytes(5) + ipaddr.parse6("ff02::1"), 5) == 0


def test_addrs6_size_fits_select():
    for bad in (0, 256):
        try:
            Addrs6(bad)
        except ValueError:
            continue
        raise AssertionError(bad)
    assert Addrs6(255).size == 255


def test_on_link_as_same_prefix_says():
    # on_link compares a prefix's whole bytes natively, the partial byte
    # through same_prefix: every length against same_prefix alone
    rnd = Prng(606)
    for k in range(400):
        a = Addrs6(3)
        plen = rnd.below(129)
        addr = rnd.fill(bytearray(16))
        addr[0] = 0x20
        a.add(addr, 0, plen, MANUAL, PREFERRED)
        dst = bytearray(addr)
        if rnd.below(3):
            bit = rnd.below(128)
            dst[bit >> 3] ^= 0x80 >> (bit & 7)
        want = plen < 128 and ipaddr.same_prefix(dst, 0, addr, 0, plen)
        assert a.on_link(dst, 0) == want, (k, plen, list(addr), list(dst))
    # link-local destinations always; other origins' prefixes never
    a = Addrs6(2)
    a.add(ipaddr.parse6("2001:db8::1"), 0, 64, SLAAC, PREFERRED)   # RFC 5942
    assert a.on_link(ipaddr.parse6("fe80::9"), 0)
    assert not a.on_link(ipaddr.parse6("2001:db8::9"), 0)
