# runtimes: cpython unix wasm
# IPv6, ICMPv6 and Neighbor Discovery codecs against frames the Linux kernel
# sent (host_tests/vectors6.py), RFC examples, and malformed input.
from smolnet.wire import ipv6, icmpv6, ndisc, udp, checksum, ipaddr
from vectors6 import (NS_BYTES, NA_BYTES, ECHO6_REQUEST_BYTES, ECHO6_REPLY_BYTES,
                      UDP6_HELLO_BYTES, UDP6_TO_PORT9_BYTES, PORT_UNREACHABLE6_BYTES,
                      MLD2_REPORT_BYTES, RS_BYTES, DAD_NS_BYTES, NA_REPLY_BYTES,
                      KERNEL_MAC, PEER_MAC, KERNEL_IP6, PEER_IP6)
from support import raises

_IP = 14
_L4 = 54


def _icmp_ok(frame, l4=_L4):
    n = len(frame) - l4
    ps = checksum.pseudo6(frame, _IP + ipv6.SRC, frame, _IP + ipv6.DST, 58, n)
    return icmpv6.check(frame, l4, n, ps)


def test_header_fields_of_kernel_echo():
    b = ECHO6_REQUEST_BYTES
    assert ipv6.check(b, _IP, len(b) - _IP) == ipv6.OK
    assert ipv6.payload_len(b, _IP) == 64
    assert ipv6.next_header(b, _IP) == ipv6.NH_ICMPV6
    assert ipv6.hop_limit(b, _IP) == 64
    assert bytes(b[_IP + ipv6.SRC:_IP + ipv6.SRC + 16]) == KERNEL_IP6
    assert bytes(b[_IP + ipv6.DST:_IP + ipv6.DST + 16]) == PEER_IP6


def test_emit_matches_header_sent():
    out = bytearray(40)
    ipv6.emit(out, 0, PEER_IP6, 0, KERNEL_IP6, 0, 58, 64, 64)
    assert bytes(out) == ECHO6_REPLY_BYTES[_IP:_IP + 40]
    ipv6.emit(out, 0, KERNEL_IP6, 0, PEER_IP6, 0, 17, 13, 64)
    # the kernel's flow label (RFC 6437) is the only difference
    assert bytes(out[4:]) == UDP6_HELLO_BYTES[_IP + 4:_IP + 40]
    assert out[0] == 0x60 and out[1] == 0 and out[2] == 0 and out[3] == 0


def test_check_rejects_bad_headers():
    b = bytearray(ECHO6_REQUEST_BYTES)
    n = len(b) - _IP
    assert ipv6.check(b, _IP, 39) == ipv6.ERR_SHORT
    assert ipv6.check(b, _IP, n - 1) == ipv6.ERR_LENGTH     # payload cut short
    assert ipv6.check(b, _IP, n + 20) == ipv6.OK             # link padding is fine
    b[_IP] = 0x45
    assert ipv6.check(b, _IP, n) == ipv6.ERR_VERSION
    b[_IP] = 0x60
    b[_IP + 4] = 0xFF
    assert ipv6.check(b, _IP, n) == ipv6.ERR_LENGTH


def test_hop_by_hop_of_kernel_mld_report():
    b = MLD2_REPORT_BYTES
    assert ipv6.next_header(b, _IP) == ipv6.NH_HOPOPT
    p = _IP + 40
    assert ipv6.ext_len(b, p) == 8
    assert b[p] == ipv6.NH_ICMPV6
    assert ipv6.scan_options(b, p, 8) == ipv6.OPT_SKIP   # router alert, PadN
    assert _icmp_ok(b, p + 8)


def test_option_actions():
    # RFC 8200 4.2: the two high bits of an unknown option's type
    def hdr(opt_type):
        return bytearray([58, 0, 1, 0, opt_type, 0, 0, 0])
    for t, want in ((0x1E, ipv6.OPT_SKIP), (0x5E, ipv6.OPT_DISCARD), (0x9E, ipv6.OPT_ERROR),
                    (0xDE, ipv6.OPT_ERROR_UNICAST)):
        r = ipv6.scan_options(hdr(t), 0, 8)
        if want == ipv6.OPT_SKIP:
            assert r == ipv6.OPT_SKIP
        else:
            assert r >> 16 == want and r & 0xFFFF == 4, (t, r)
    # Pad1s only, and an option running past the header
    assert ipv6.scan_options(bytearray([58, 0, 0, 0, 0, 0, 0, 0]), 0, 8) == ipv6.OPT_SKIP
    r = ipv6.scan_options(bytearray([58, 0, 1, 9, 0, 0, 0, 0]), 0, 8)
    assert r >> 16 == ipv6.OPT_BAD_LENGTH and r & 0xFFFF == 2
    r = ipv6.scan_options(bytearray([58, 0, 0, 0, 0, 0, 0, 1]), 0, 8)
    assert r >> 16 == ipv6.OPT_BAD_LENGTH


def test_routing_and_fragment_fields():
    rh = bytearray([17, 0, 4, 1, 0, 0, 0, 0])
    assert ipv6.routing_segments_left(rh, 0) == 1
    assert ipv6.routing_type_off() == 2
    assert ipv6.frag_is_atomic(bytearray([17, 0, 0, 0, 0, 0, 0, 1]), 0)
    assert ipv6.frag_is_atomic(bytearray([17, 0, 0, 6, 0, 0, 0, 1]), 0)   # reserved bits
    assert not ipv6.frag_is_atomic(bytearray([17, 0, 0, 1, 0, 0, 0, 1]), 0)  # M set
    assert not ipv6.frag_is_atomic(bytearray([17, 0, 0, 8, 0, 0, 0, 1]), 0)  # offset 8


def test_address_predicates():
    p = ipaddr.parse6
    assert ipv6.is_unspecified(p("::"), 0) and not ipv6.is_unspecified(p("::1"), 0)
    assert ipv6.is_loopback(p("::1"), 0) and not ipv6.is_loopback(p("::2"), 0)
    assert ipv6.is_multicast(p("ff02::1"), 0) and not ipv6.is_multicast(p("fe80::1"), 0)
    assert ipv6.is_link_local(p("fe80::1"), 0) and ipv6.is_link_local(p("febf::1"), 0)
    assert not ipv6.is_link_local(p("fec0::1"), 0)
    assert ipv6.is_all_nodes(p("ff02::1"), 0) and not ipv6.is_all_nodes(p("ff02::2"), 0)
    assert ipv6.multicast_scope(p("ff02::1"), 0) == 2
    assert ipv6.multicast_scope(p("ff0e::1"), 0) == 14
    out = bytearray(16)
    ipv6.all_routers(out, 0)
    assert bytes(out) == p("ff02::2")


def test_solicited_node_group_of_kernel_ns():
    out = bytearray(16)
    ipv6.solicited_node(out, 0, PEER_IP6, 0)
    assert bytes(out) == NS_BYTES[_IP + ipv6.DST:_IP + ipv6.DST + 16]
    assert ipv6.is_solicited_node(out, 0)
    assert ipv6.is_solicited_node_for(out, 0, PEER_IP6, 0)
    assert not ipv6.is_solicited_node_for(out, 0, KERNEL_IP6, 0)
    assert not ipv6.is_solicited_node(ipaddr.parse6("ff02::1"), 0)


def test_link_local_from_mac():
    # RFC 4291 appendix A: 34-56-78-9A-BC-DE -> 3656:78ff:fe9a:bcde
    out = bytearray(16)
    ipv6.link_local_from_mac(out, 0, bytes.fromhex("3456789abcde"), 0)
    assert ipaddr.fmt6(out) == "fe80::3656:78ff:fe9a:bcde"
    ipv6.link_local_from_mac(out, 0, PEER_MAC, 0)
    assert ipaddr.fmt6(out) == "fe80::ff:fe00:1"


def test_parse_cidr6():
    a, n = ipv6.parse_cidr6("2001:db8::2/64")
    assert a == PEER_IP6 and n == 64
    assert ipv6.parse_cidr6("2001:db8::2") == (PEER_IP6, 128)
    raises(ValueError, ipv6.parse_cidr6, "2001:db8::2/129")
    raises(ValueError, ipv6.parse_cidr6, "2001:db8::2/x")
    raises(ValueError, ipv6.parse_cidr6, "2001:db8:::2/64")
    raises(ValueError, ipv6.parse_cidr6, "2001:dg8::2/64")


def test_icmpv6_checksums_of_kernel_messages():
    for f in (NS_BYTES, NA_BYTES, ECHO6_REQUEST_BYTES, RS_BYTES, DAD_NS_BYTES,
              PORT_UNREACHABLE6_BYTES):
        assert _icmp_ok(f), f
    bad = bytearray(ECHO6_REQUEST_BYTES)
    bad[-1] ^= 1
    assert not _icmp_ok(bad)
    # the checksum covers the pseudo-header: another destination breaks it
    bad = bytearray(ECHO6_REQUEST_BYTES)
    bad[_IP + ipv6.DST + 15] = 3
    assert not _icmp_ok(bad)


def test_icmpv6_echo_fields_and_refill():
    b = bytearray(ECHO6_REQUEST_BYTES)
    assert icmpv6.msg_type(b, _L4) == icmpv6.TYPE_ECHO_REQUEST
    assert icmpv6.ident(b, _L4) == 0x1814 and icmpv6.seq(b, _L4) == 1
    n = len(b) - _L4
    ps = checksum.pseudo6(b, _IP + 8, b, _IP + 24, 58, n)
    b[_L4 + 2] = 0
    b[_L4 + 3] = 0
    icmpv6.fill_checksum(b, _L4, n, ps)
    assert bytes(b) == ECHO6_REQUEST_BYTES


def test_icmpv6_error_matches_kernel():
    # the kernel's port unreachable quoting our datagram, rebuilt
    q = UDP6_TO_PORT9_BYTES
    out = bytearray(200)
    n = icmpv6.emit_error(out, 0, icmpv6.TYPE_DEST_UNREACHABLE, icmpv6.CODE_PORT_UNREACHABLE,
                          0, q, _IP, len(q) - _IP)
    src = PORT_UNREACHABLE6_BYTES
    ps = checksum.pseudo6(KERNEL_IP6, 0, PEER_IP6, 0, 58, n)
    icmpv6.fill_checksum(out, 0, n, ps)
    assert bytes(out[:n]) == src[_L4:]
    assert icmpv6.is_error(icmpv6.msg_type(src, _L4))
    assert not icmpv6.is_error(icmpv6.TYPE_ECHO_REPLY)
    assert icmpv6.param(src, _L4) == 0
    n = icmpv6.emit_error(out, 0, icmpv6.TYPE_PARAM_PROBLEM, 1, 0x1234, q, 0, 0)
    assert n == 8 and icmpv6.param(out, 0) == 0x1234
    out[4] = 1
    assert icmpv6.param(out, 0) == 0xFFFF     # saturated, no big int


def test_ns_parse_and_emit_match_kernel():
    b = NS_BYTES
    n = len(b) - _L4
    assert ndisc.options_valid(b, _L4, n, ndisc.NS_LEN)
    p = ndisc.find_option(b, _L4, n, ndisc.NS_LEN, ndisc.OPT_SOURCE_LLA)
    assert p == _L4 + 24 and ndisc.lla_ok(b, p)
    assert bytes(b[p + 2:p + 8]) == KERNEL_MAC
    assert ndisc.find_option(b, _L4, n, ndisc.NS_LEN, ndisc.OPT_TARGET_LLA) == -1
    out = bytearray(40)
    k = ndisc.emit_ns(out, 0, b, _L4 + ndisc.TARGET, KERNEL_MAC, 0)
    icmpv6.fill_checksum(out, 0, k, checksum.pseudo6(b, _IP + 8, b, _IP + 24, 58, k))
    assert bytes(out[:k]) == b[_L4:]
    # a DAD probe carries no option; the kernel's has a nonce (RFC 7527)
    assert ndisc.emit_ns(out, 0, PEER_IP6, 0, None, 0) == 24
    d = DAD_NS_BYTES
    assert ndisc.options_valid(d, _L4, len(d) - _L4, ndisc.NS_LEN)
    assert ndisc.find_option(d, _L4, len(d) - _L4, ndisc.NS_LEN, ndisc.OPT_SOURCE_LLA) == -1


def test_na_parse_and_emit_match_kernel():
    b = NA_BYTES
    n = len(b) - _L4
    assert ndisc.na_flags(b, _L4) == ndisc.NA_SOLICITED | ndisc.NA_OVERRIDE
    p = ndisc.find_option(b, _L4, n, ndisc.NA_LEN, ndisc.OPT_TARGET_LLA)
    assert bytes(b[p + 2:p + 8]) == KERNEL_MAC
    out = bytearray(40)
    k = ndisc.emit_na(out, 0, ndisc.NA_SOLICITED | ndisc.NA_OVERRIDE, KERNEL_IP6, 0,
                      KERNEL_MAC, 0)
    icmpv6.fill_checksum(out, 0, k, checksum.pseudo6(b, _IP + 8, b, _IP + 24, 58, k))
    assert bytes(out[:k]) == b[_L4:]
    assert _icmp_ok(NA_REPLY_BYTES)


def test_rs_emit_matches_kernel():
    b = RS_BYTES
    out = bytearray(16)
    k = ndisc.emit_rs(out, 0, KERNEL_MAC, 0)
    icmpv6.fill_checksum(out, 0, k, checksum.pseudo6(b, _IP + 8, b, _IP + 24, 58, k))
    assert bytes(out[:k]) == b[_L4:]
    assert ndisc.emit_rs(out, 0, None, 0) == 8


def _ra():
    # RFC 4861 4.2: hop limit 64, router lifetime 1800 s, reachable 0,
    # retrans 0; options: source LLA, MTU 1480, prefix 2001:db8:1::/64 (L, A,
    # valid 86400, preferred 14400), prefix 2001:db8:2::/64 (valid infinite)
    return bytes.fromhex(
        "86 00 0000 40 00 0708 00000000 00000000"
        "01 01 0200000000aa"
        "05 01 0000 000005c8"
        "03 04 40 c0 00015180 00003840 00000000 20010db8000100000000000000000000"
        "03 04 40 80 ffffffff ffffffff 00000000 20010db8000200000000000000000000"
        .replace(" ", ""))


def test_ra_fields_and_options():
    b = _ra()
    n = len(b)
    assert ndisc.options_valid(b, 0, n, ndisc.RA_LEN)
    assert ndisc.ra_hop_limit(b, 0) == 64 and ndisc.ra_router_lifetime(b, 0) == 1800
    p = ndisc.find_option(b, 0, n, ndisc.RA_LEN, ndisc.OPT_MTU)
    assert ndisc.option_len(b, p) == 8 and ndisc.mtu_option_value(b, p) == 1480
    p = ndisc.next_option(b, ndisc.RA_LEN, n, ndisc.OPT_PREFIX_INFO)
    assert ndisc.pi_prefix_len(b, p) == 64
    assert ndisc.pi_flags(b, p) == ndisc.PI_ON_LINK | ndisc.PI_AUTONOMOUS
    assert ndisc.pi_valid_lifetime(b, p) == 86400
    assert ndisc.pi_preferred_lifetime(b, p) == 14400
    assert ipaddr.fmt6(b, p + ndisc.PI_PREFIX) == "2001:db8:1::"
    p = ndisc.next_option(b, p + ndisc.option_len(b, p), n, ndisc.OPT_PREFIX_INFO)
    assert ndisc.pi_valid_lifetime(b, p) == ndisc.INFINITE
    assert ndisc.next_option(b, p + 32, n, ndisc.OPT_PREFIX_INFO) == -1


def test_lifetimes_never_box():
    assert ndisc.sat32(bytes([0, 0, 0, 5]), 0) == 5
    assert ndisc.sat32(bytes([0x3F, 0xFF, 0xFF, 0xFF]), 0) == 0x3FFFFFFF
    assert ndisc.sat32(bytes([0x40, 0, 0, 0]), 0) == 0x3FFFFFFF
    assert ndisc.sat32(bytes([0xFF, 0xFF, 0xFF, 0xFE]), 0) == 0x3FFFFFFF
    assert ndisc.sat32(bytes([0xFF, 0xFF, 0xFF, 0xFF]), 0) == ndisc.INFINITE


def test_malformed_nd_options():
    b = bytearray(NS_BYTES)
    n = len(b) - _L4
    b[_L4 + 25] = 0                                    # zero-length option
    assert not ndisc.options_valid(b, _L4, n, ndisc.NS_LEN)
    b[_L4 + 25] = 2                                    # runs past the end
    assert not ndisc.options_valid(b, _L4, n, ndisc.NS_LEN)
    assert not ndisc.options_valid(b, _L4, n + 1, ndisc.NS_LEN)   # half an option
    b[_L4 + 25] = 1
    assert ndisc.options_valid(b, _L4, n, ndisc.NS_LEN)
    assert ndisc.find_option(b, _L4, n, ndisc.NS_LEN, ndisc.OPT_SOURCE_LLA) == _L4 + 24
    assert ndisc.find_option(b, _L4, n, ndisc.NS_LEN, 5) == -1
    b[_L4 + 25] = 0                                    # a zero length ends the walk
    assert ndisc.find_option(b, _L4, n, ndisc.NS_LEN, ndisc.OPT_SOURCE_LLA) == -1
    assert ndisc.next_option(b, _L4 + 24, _L4 + n, ndisc.OPT_SOURCE_LLA) == -1


def test_udp_over_ipv6_checksum():
    b = UDP6_HELLO_BYTES
    ul = udp.length(b, _L4)
    ps = checksum.pseudo6(b, _IP + 8, b, _IP + 24, 17, ul)
    assert udp.check(b, _L4, len(b) - _L4, ps, False)
    z = bytearray(b)
    z[_L4 + 6] = 0
    z[_L4 + 7] = 0
    # RFC 8200 8.1: no "no checksum" on IPv6
    assert not udp.check(z, _L4, len(z) - _L4, ps, False)
    out = bytearray(z)
    udp.fill_checksum(out, _L4, ul, ps)
    assert bytes(out) == b
