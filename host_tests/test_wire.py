# runtimes: cpython unix wasm
# Wire codecs against frames the Linux kernel sent, RFC examples, and
# malformed inputs.
from smolnet.wire import ethernet, arp, ipv4, icmpv4, udp, ipaddr, checksum, ipv6, summary
from vectors import (ARP_REQUEST_BYTES, ARP_REPLY_BYTES, ECHO_REQUEST_BYTES,
                     UDP_HELLO_BYTES, KERNEL_MAC, PEER_MAC, KERNEL_IP, PEER_IP)
from support import raises


def test_ethernet_fields():
    b = ARP_REQUEST_BYTES
    assert ethernet.is_broadcast(b, 0)
    assert b[0] & 1                    # the group bit
    assert ethernet.ethertype(b, 0) == ethernet.ETHERTYPE_ARP
    assert summary.fmt_mac(b, 6) == "02:00:00:00:00:aa"
    assert not UDP_HELLO_BYTES[0] & 1


def test_ethernet_emit_round_trip():
    out = bytearray(14)
    ethernet.emit(out, 0, PEER_MAC, 0, KERNEL_MAC, 0, ethernet.ETHERTYPE_IPV4)
    assert bytes(out) == UDP_HELLO_BYTES[:14]


def test_multicast_macs():
    out = bytearray(6)
    ethernet.ipv4_multicast_mac(out, 0, ipaddr.parse4("239.255.130.1"), 0)
    assert bytes(out) == bytes.fromhex("01005e7f8201")
    ipv6.multicast_mac(out, 0, ipaddr.parse6("ff02::1:ff00:aa"), 0)
    assert bytes(out) == bytes.fromhex("3333ff0000aa")


def test_mac_parse_format():
    assert ethernet.parse_mac("02:00:00:00:00:aa") == KERNEL_MAC
    assert summary.fmt_mac(ethernet.parse_mac("02-0A-0b-0c-0d-0e")) == "02:0a:0b:0c:0d:0e"
    raises(ValueError, ethernet.parse_mac, "02:00:00")


def test_arp_request_parse():
    b = ARP_REQUEST_BYTES
    assert arp.check(b, 14, len(b) - 14)
    assert arp.operation(b, 14) == arp.OP_REQUEST
    assert bytes(b[14 + arp.SHA:14 + arp.SHA + 6]) == KERNEL_MAC
    assert bytes(b[14 + arp.SPA:14 + arp.SPA + 4]) == KERNEL_IP
    assert bytes(b[14 + arp.TPA:14 + arp.TPA + 4]) == PEER_IP


def test_arp_emit_matches_kernel():
    out = bytearray(42)
    ethernet.emit(out, 0, ethernet.BROADCAST, 0, KERNEL_MAC, 0, ethernet.ETHERTYPE_ARP)
    arp.emit(out, 14, arp.OP_REQUEST, KERNEL_MAC, 0, KERNEL_IP, 0, bytes(6), 0, PEER_IP, 0)
    assert bytes(out) == ARP_REQUEST_BYTES
    ethernet.emit(out, 0, PEER_MAC, 0, KERNEL_MAC, 0, ethernet.ETHERTYPE_ARP)
    arp.emit(out, 14, arp.OP_REPLY, KERNEL_MAC, 0, KERNEL_IP, 0, PEER_MAC, 0, PEER_IP, 0)
    assert bytes(out) == ARP_REPLY_BYTES


def test_arp_malformed():
    b = bytearray(ARP_REQUEST_BYTES)
    assert not arp.check(b, 14, 27)              # short
    b[14 + 1] = 6                                # hardware type 6 (IEEE 802)
    assert not arp.check(b, 14, 28)
    b = bytearray(ARP_REQUEST_BYTES)
    b[14 + 4] = 8                                # hardware length 8
    assert not arp.check(b, 14, 28)
    b = bytearray(ARP_REQUEST_BYTES)
    b[14 + 7] = 3                                # RARP request
    assert not arp.check(b, 14, 28)


def test_ipv4_parse_kernel_echo():
    b = ECHO_REQUEST_BYTES
    assert ipv4.check(b, 14, len(b) - 14) == ipv4.OK
    assert ipv4.header_len(b, 14) == 20
    assert ipv4.total_len(b, 14) == 84
    assert ipv4.protocol(b, 14) == ipv4.PROTO_ICMP
    assert ipv4.ttl(b, 14) == 64
    assert ipv4.ident(b, 14) == 0x3EF8
    assert b[14 + 6] & 0x40           # DF
    assert not ipv4.is_fragment(b, 14)
    assert ipaddr.fmt4(b, 14 + ipv4.SRC) == "192.0.2.1"


def test_ipv4_emit_matches_kernel():
    out = bytearray(20)
    ipv4.emit(out, 0, KERNEL_IP, 0, PEER_IP, 0, ipv4.PROTO_ICMP, 64, 64, 0x3EF8, True)
    assert bytes(out) == ECHO_REQUEST_BYTES[14:34]
    ipv4.emit(out, 0, KERNEL_IP, 0, PEER_IP, 0, ipv4.PROTO_UDP, 13, 64, 0x14B2, True)
    assert bytes(out) == UDP_HELLO_BYTES[14:34]


def test_ipv4_malformed():
    good = ECHO_REQUEST_BYTES[14:]
    n = len(good)
    assert ipv4.check(good, 0, 19) == ipv4.ERR_SHORT
    b = bytearray(good)
    b[0] = 0x65
    assert ipv4.check(b, 0, n) == ipv4.ERR_VERSION
    b = bytearray(good)
    b[0] = 0x44                                  # IHL 4: below the minimum
    assert ipv4.check(b, 0, n) == ipv4.ERR_LENGTH
    b = bytearray(good)
    b[0] = 0x4F                                  # IHL 15: 60 bytes of header
    b[2], b[3] = 0, 40                           # ... longer than total length
    assert ipv4.check(b, 0, n) == ipv4.ERR_LENGTH
    b = bytearray(good)
    b[3] += 1                                    # total length beyond the data
    assert ipv4.check(b, 0, n) == ipv4.ERR_LENGTH
    b = bytearray(good)
    b[8] = 63                                    # TTL changed, checksum not
    assert ipv4.check(b, 0, n) == ipv4.ERR_CHECKSUM
    # link-layer padding beyond total length is fine
    assert ipv4.check(good + bytes(10), 0, n + 10) == ipv4.OK


def test_ipv4_fragments():
    b = bytearray(ECHO_REQUEST_BYTES[14:34])
    b[6] = 0x20                                  # more fragments
    assert ipv4.is_fragment(b, 0)
    b[6], b[7] = 0x00, 0xB9                      # offset 185*8
    assert ipv4.is_fragment(b, 0)
    assert ipv4.frag_offset(b, 0) == 1480
    b[6], b[7] = 0x40, 0x00                      # DF only: not a fragment
    assert not ipv4.is_fragment(b, 0)


def test_icmp_echo_parse_and_checksum():
    b = ECHO_REQUEST_BYTES
    l4 = 34
    n = len(b) - l4
    assert icmpv4.check(b, l4, n)
    assert icmpv4.msg_type(b, l4) == icmpv4.TYPE_ECHO_REQUEST
    assert icmpv4.ident(b, l4) == 0x2051
    assert icmpv4.seq(b, l4) == 1
    c = bytearray(b)
    c[l4 + 2] = c[l4 + 3] = 0
    icmpv4.fill_checksum(c, l4, n)
    assert bytes(c) == b
    c[l4 + 20] ^= 0x40
    assert not icmpv4.check(c, l4, n)
    assert not icmpv4.check(b, l4, 7)


def test_icmp_error_quotes_datagram():
    out = bytearray(100)
    q = UDP_HELLO_BYTES[14:]
    n = icmpv4.emit_error(out, 0, icmpv4.TYPE_DEST_UNREACHABLE,
                          icmpv4.CODE_PORT_UNREACHABLE, q, 0, len(q))
    assert n == 8 + len(q)
    assert icmpv4.check(out, 0, n)
    assert out[0] == 3 and out[1] == 3
    assert bytes(out[4:8]) == bytes(4)
    assert bytes(out[8:n]) == q
    assert icmpv4.is_error(3) and icmpv4.is_error(11) and not icmpv4.is_error(8)


def test_udp_parse_and_checksum_kernel():
    b = UDP_HELLO_BYTES
    l4 = 34
    assert udp.src_port(b, l4) == 40000
    assert udp.dst_port(b, l4) == 6969
    assert udp.length(b, l4) == 13
    ps = checksum.pseudo4(b, 26, b, 30, 17, 13)
    assert udp.check(b, l4, 13, ps, True)
    out = bytearray(13)
    udp.emit(out, 0, 40000, 6969, 5)
    out[8:13] = b"hello"
    udp.fill_checksum(out, 0, 13, ps)
    assert bytes(out) == b[l4:]


def test_udp_malformed():
    b = bytearray(UDP_HELLO_BYTES[34:])
    ps = checksum.pseudo4(UDP_HELLO_BYTES, 26, UDP_HELLO_BYTES, 30, 17, 13)
    assert not udp.check(b, 0, 7, ps, True)      # shorter than a header
    c = bytearray(b)
    c[5] = 14                                    # length beyond the IP payload
    assert not udp.check(c, 0, 13, ps, True)
    c = bytearray(b)
    c[5] = 7                                     # length below the header
    assert not udp.check(c, 0, 13, ps, True)
    c = bytearray(b)
    c[10] ^= 1                                   # payload bit flip
    assert not udp.check(c, 0, 13, ps, True)
    c = bytearray(b)
    c[6] = c[7] = 0                              # no checksum: IPv4 only
    assert udp.check(c, 0, 13, ps, True)
    assert not udp.check(c, 0, 13, ps, False)


def test_udp_zero_checksum_sent_as_ffff():
    # find a payload whose checksum computes to zero, RFC 768 sends 0xFFFF
    out = bytearray(10)
    src = ipaddr.parse4("192.0.2.1")
    dst = ipaddr.parse4("192.0.2.2")
    found = False
    for hi in range(256):
        for lo in range(0, 256, 1):
            udp.emit(out, 0, 1000, 2000, 2)
            out[8] = hi
            out[9] = lo
            ps = checksum.pseudo4(src, 0, dst, 0, 17, 10)
            if checksum.finish(checksum.sum16(out, 0, 10, ps)) == 0:
                udp.fill_checksum(out, 0, 10, ps)
                assert udp.checksum(out, 0) == 0xFFFF
                assert udp.check(out, 0, 10, ps, False)
                found = True
                break
        if found:
            break
    assert found


def test_rfc1071_example():
    # RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2
    data = bytes.fromhex("0001f203f4f5f6f7")
    assert checksum.sum16(data, 0, 8, 0) == 0xDDF2
    assert checksum.finish(0xDDF2) == 0x220D
    # odd length pads with a zero byte
    assert checksum.sum16(b"\x01", 0, 1, 0) == 0x0100
    assert checksum.sum16(b"", 0, 0, 0x1234) == 0x1234


def test_ipaddr_v4():
    assert ipaddr.parse4("192.0.2.1") == KERNEL_IP
    assert ipaddr.parse_cidr4("198.51.100.7/24") == (ipaddr.parse4("198.51.100.7"), 24)
    assert ipaddr.parse_cidr4("198.51.100.7") == (ipaddr.parse4("198.51.100.7"), 32)
    for bad in ("192.0.2", "192.0.2.256", "a.b.c.d", "1..2.3", "192.0.2.1.5"):
        raises(ValueError, ipaddr.parse4, bad)
    raises(ValueError, ipaddr.parse_cidr4, "192.0.2.1/33")
    a = ipaddr.parse4("192.0.2.77")
    n = ipaddr.parse4("192.0.2.0")
    assert ipaddr.same_prefix(a, 0, n, 0, 24)
    assert ipaddr.same_prefix(a, 0, n, 0, 25)
    assert not ipaddr.same_prefix(a, 0, n, 0, 26)
    assert ipaddr.same_prefix(a, 0, ipaddr.parse4("10.0.0.0"), 0, 0)
    assert ipaddr.is_subnet_broadcast4(ipaddr.parse4("192.0.2.255"), 0, n, 0, 24)
    assert ipaddr.is_subnet_broadcast4(ipaddr.parse4("192.0.2.127"), 0, n, 0, 25)
    assert not ipaddr.is_subnet_broadcast4(ipaddr.parse4("192.0.2.255"), 0, n, 0, 23)
    assert not ipaddr.is_subnet_broadcast4(ipaddr.parse4("192.0.2.1"), 0, n, 0, 31)
    assert ipaddr.is_multicast4(ipaddr.parse4("224.0.0.1"), 0)
    assert not ipaddr.is_multicast4(ipaddr.parse4("240.0.0.1"), 0)


def test_ipaddr_v6_rfc5952():
    cases = (
        ("2001:db8::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("::", "::"),
        ("::1", "::1"),
        ("fe80::", "fe80::"),
        ("::ffff:192.0.2.1", "::ffff:c000:201"),
    )
    for text, canon in cases:
        a = ipaddr.parse6(text)
        assert len(a) == 16
        assert ipaddr.fmt6(a) == canon, (text, ipaddr.fmt6(a))
        assert ipaddr.parse6(canon) == a
    for bad in ("2001:db8::1::2", "1:2:3:4:5:6:7:8:9", "2001:db8:::1", "12345::"):
        raises(ValueError, ipaddr.parse6, bad)
