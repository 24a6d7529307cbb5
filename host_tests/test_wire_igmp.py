# runtimes: cpython unix wasm
# The IGMP codec (smolnet.wire.igmp) against the Linux kernel's own frames
# (vectors_igmp.py): parse, emit byte for byte, the IPv4 header with Router
# Alert (igmp.emit_router_alert), query versions told apart by length and
# code (RFC 3376 7.1), Max Resp Code floats (4.1.1), malformed input.
from smolnet.wire import igmp, ipv4, ethernet
from vectors_igmp import (V3_JOIN_BYTES, V3_LEAVE_BYTES, V3_ANSWER_BYTES, V3_JOIN2_BYTES,
                          V3_ANSWER2_BYTES, V2_REPORT_BYTES, V2_LEAVE_BYTES, V1_REPORT_BYTES,
                          QUERY_V3_GENERAL_BYTES, QUERY_V3_GROUP_BYTES, QUERY_V2_GENERAL_BYTES,
                          QUERY_V1_GENERAL_BYTES, KERNEL_MAC, KERNEL_IP, QUERIER_MAC,
                          QUERIER_IP, GROUP, GROUP2)

_ETH = 14
_L4 = 14 + 24
ZERO4 = bytes(4)


def _igmp_part(frame):
    return bytes(frame[_L4:])


def _ip_ok(frame):
    """The frame's IPv4 header is valid, 24 bytes with Router Alert, TTL 1,
    protocol IGMP; returns the IGMP length."""
    assert ethernet.ethertype(frame, 0) == ethernet.ETHERTYPE_IPV4
    assert ipv4.check(frame, _ETH, len(frame) - _ETH) == ipv4.OK
    assert ipv4.header_len(frame, _ETH) == 24
    assert bytes(frame[_ETH + 20:_ETH + 24]) == b"\x94\x04\x00\x00"
    assert ipv4.ttl(frame, _ETH) == 1
    assert ipv4.protocol(frame, _ETH) == ipv4.PROTO_IGMP
    return ipv4.total_len(frame, _ETH) - 24


def test_kernel_v3_reports_parse():
    for frame, rtype in ((V3_JOIN_BYTES, igmp.CHANGE_TO_EXCLUDE),
                         (V3_LEAVE_BYTES, igmp.CHANGE_TO_INCLUDE),
                         (V3_ANSWER_BYTES, igmp.MODE_IS_EXCLUDE)):
        n = _ip_ok(frame)
        assert n == 16
        assert igmp.check(frame, _L4, n)
        assert igmp.msg_type(frame, _L4) == igmp.TYPE_V3_REPORT
        assert igmp.num_records(frame, _L4) == 1
        r = _L4 + igmp.RECORDS
        assert igmp.record_type(frame, r) == rtype
        assert igmp.record_sources(frame, r) == 0
        assert igmp.record_len(frame, r) == 8
        assert bytes(frame[r + igmp.R_GROUP:r + igmp.R_GROUP + 4]) == GROUP
        assert bytes(frame[_ETH + ipv4.DST:_ETH + ipv4.DST + 4]) == b"\xe0\x00\x00\x16"


def test_kernel_v3_two_records_parse():
    for frame, rtype in ((V3_JOIN2_BYTES, igmp.CHANGE_TO_EXCLUDE),
                         (V3_ANSWER2_BYTES, igmp.MODE_IS_EXCLUDE)):
        n = _ip_ok(frame)
        assert igmp.check(frame, _L4, n)
        assert igmp.num_records(frame, _L4) == 2
        r = _L4 + igmp.RECORDS
        seen = []
        for _ in range(2):
            assert igmp.record_type(frame, r) == rtype
            seen.append(bytes(frame[r + igmp.R_GROUP:r + igmp.R_GROUP + 4]))
            r += igmp.record_len(frame, r)
        assert r == _L4 + n
        assert seen == [GROUP2, GROUP]


def test_kernel_v1_v2_messages_parse():
    for frame, t, dst in ((V2_REPORT_BYTES, igmp.TYPE_V2_REPORT, GROUP),
                          (V2_LEAVE_BYTES, igmp.TYPE_V2_LEAVE, b"\xe0\x00\x00\x02"),
                          (V1_REPORT_BYTES, igmp.TYPE_V1_REPORT, GROUP)):
        n = _ip_ok(frame)
        assert n == 8
        assert igmp.check(frame, _L4, n)
        assert igmp.msg_type(frame, _L4) == t
        assert igmp.max_resp_code(frame, _L4) == 0
        assert bytes(frame[_L4 + igmp.GROUP:_L4 + igmp.GROUP + 4]) == GROUP
        assert bytes(frame[_ETH + ipv4.DST:_ETH + ipv4.DST + 4]) == dst


def _frame(dst_ip, src_mac, src_ip, body):
    """Ethernet + 24-byte IPv4 (ident 0, as the kernel sends) + body."""
    f = bytearray(_L4 + len(body))
    ethernet.ipv4_multicast_mac(f, 0, dst_ip, 0)
    f[6:12] = src_mac
    ethernet.set_ethertype(f, 0, ethernet.ETHERTYPE_IPV4)
    igmp.emit_router_alert(f, _ETH, src_ip, 0, dst_ip, 0, ipv4.PROTO_IGMP, len(body), 1, 0,
                           igmp.TOS_INTERNETWORK_CONTROL)
    f[_L4:] = body
    return bytes(f)


def test_emit_v3_reports_like_the_kernel():
    b = bytearray(64)
    for frame, rtype in ((V3_JOIN_BYTES, igmp.CHANGE_TO_EXCLUDE),
                         (V3_LEAVE_BYTES, igmp.CHANGE_TO_INCLUDE),
                         (V3_ANSWER_BYTES, igmp.MODE_IS_EXCLUDE)):
        n = igmp.emit_v3_report(b, 3, rtype, GROUP, 0, 1)
        assert n == 16
        assert bytes(b[3:3 + n]) == _igmp_part(frame)
        assert _frame(b"\xe0\x00\x00\x16", KERNEL_MAC, KERNEL_IP, b[3:3 + n]) == frame
    two = GROUP2 + GROUP
    for frame, rtype in ((V3_JOIN2_BYTES, igmp.CHANGE_TO_EXCLUDE),
                         (V3_ANSWER2_BYTES, igmp.MODE_IS_EXCLUDE)):
        n = igmp.emit_v3_report(b, 0, rtype, two, 0, 2)
        assert bytes(b[:n]) == _igmp_part(frame)
        assert _frame(b"\xe0\x00\x00\x16", KERNEL_MAC, KERNEL_IP, b[:n]) == frame
    # piecewise: header, records, checksum
    b = bytearray(64)
    p = igmp.emit_v3_report_header(b, 0, 2)
    p += igmp.emit_record(b, p, igmp.CHANGE_TO_EXCLUDE, two, 0)
    p += igmp.emit_record(b, p, igmp.CHANGE_TO_EXCLUDE, two, 4)
    igmp.fill_checksum(b, 0, p)
    assert bytes(b[:p]) == _igmp_part(V3_JOIN2_BYTES)


def test_emit_v1_v2_like_the_kernel():
    b = bytearray(16)
    assert igmp.emit_v2(b, 0, igmp.TYPE_V2_REPORT, GROUP, 0) == 8
    assert bytes(b[:8]) == _igmp_part(V2_REPORT_BYTES)
    assert _frame(GROUP, KERNEL_MAC, KERNEL_IP, b[:8]) == V2_REPORT_BYTES
    assert igmp.emit_v2(b, 0, igmp.TYPE_V2_LEAVE, GROUP, 0) == 8
    assert bytes(b[:8]) == _igmp_part(V2_LEAVE_BYTES)
    assert _frame(b"\xe0\x00\x00\x02", KERNEL_MAC, KERNEL_IP, b[:8]) == V2_LEAVE_BYTES
    b[:] = b"\xff" * 16   # every byte written: nothing left over from before
    assert igmp.emit_v1_report(b, 4, GROUP, 0) == 8
    assert bytes(b[4:12]) == _igmp_part(V1_REPORT_BYTES)
    assert _frame(GROUP, KERNEL_MAC, KERNEL_IP, b[4:12]) == V1_REPORT_BYTES


def test_queries_parse():
    f = QUERY_V3_GENERAL_BYTES
    n = _ip_ok(f)
    assert n == 12 and igmp.check(f, _L4, n)
    assert igmp.msg_type(f, _L4) == igmp.TYPE_QUERY
    assert igmp.query_version(f, _L4, n) == 3
    assert igmp.group_is_zero(f, _L4)
    assert igmp.max_resp_code(f, _L4) == 10
    assert igmp.s_flag(f, _L4) == 0 and igmp.qrv(f, _L4) == 2 and igmp.qqic(f, _L4) == 125
    assert igmp.num_sources(f, _L4) == 0
    f = QUERY_V3_GROUP_BYTES
    n = _ip_ok(f)
    assert igmp.query_version(f, _L4, n) == 3 and not igmp.group_is_zero(f, _L4)
    assert bytes(f[_L4 + igmp.GROUP:_L4 + igmp.GROUP + 4]) == GROUP
    f = QUERY_V2_GENERAL_BYTES
    n = _ip_ok(f)
    assert n == 8 and igmp.check(f, _L4, n)
    assert igmp.query_version(f, _L4, n) == 2 and igmp.max_resp_code(f, _L4) == 10
    f = QUERY_V1_GENERAL_BYTES
    n = _ip_ok(f)
    assert igmp.check(f, _L4, n)
    assert igmp.query_version(f, _L4, n) == 1 and igmp.group_is_zero(f, _L4)


def test_emit_queries_round_trip():
    b = bytearray(64)
    n = igmp.emit_v3_query(b, 0, 10, ZERO4, 0, False, 2, 125, None, 0, 0)
    assert n == 12 and bytes(b[:n]) == _igmp_part(QUERY_V3_GENERAL_BYTES)
    n = igmp.emit_v3_query(b, 0, 10, GROUP, 0, False, 2, 125, None, 0, 0)
    assert bytes(b[:n]) == _igmp_part(QUERY_V3_GROUP_BYTES)
    assert _frame(GROUP, QUERIER_MAC, QUERIER_IP, b[:n]) == QUERY_V3_GROUP_BYTES
    assert igmp.emit_query(b, 0, 10, ZERO4, 0) == 8
    assert bytes(b[:8]) == _igmp_part(QUERY_V2_GENERAL_BYTES)
    assert igmp.emit_query(b, 0, 0, ZERO4, 0) == 8
    assert bytes(b[:8]) == _igmp_part(QUERY_V1_GENERAL_BYTES)
    # group-and-source-specific, S set, QRV 7, a float code
    srcs = b"\xc0\x00\x02\x05\xc0\x00\x02\x06"
    n = igmp.emit_v3_query(b, 2, 0x9A, GROUP, 0, True, 7, 0x81, srcs, 0, 2)
    assert n == 20
    assert igmp.check(b, 2, n) and igmp.query_version(b, 2, n) == 3
    assert igmp.s_flag(b, 2) == 1 and igmp.qrv(b, 2) == 7 and igmp.qqic(b, 2) == 0x81
    assert igmp.num_sources(b, 2) == 2 and igmp.max_resp_code(b, 2) == 0x9A
    assert bytes(b[2 + igmp.SOURCES:2 + igmp.SOURCES + 8]) == srcs
    assert igmp.decode_code(0x9A) == (0x1A << 4)   # 416 tenths: 41.6 s


def test_malformed_rejected():
    b = bytearray(_igmp_part(V2_REPORT_BYTES))
    assert igmp.check(b, 0, 8)
    for n in range(8):
        assert not igmp.check(b, 0, n)           # short
    for i in range(8):
        bad = bytearray(b)
        bad[i] ^= 0x10                           # any flipped bit breaks the sum
        assert not igmp.check(bad, 0, 8)
    # query lengths: 9 to 11 are no version at all (RFC 3376 7.1)
    q = bytearray(24)
    igmp.emit_v3_query(q, 0, 10, ZERO4, 0, False, 2, 125, None, 0, 0)
    for n in (9, 10, 11):
        assert igmp.query_version(q, 0, n) == 0
    assert igmp.query_version(q, 0, 12) == 3
    assert igmp.query_version(q, 0, 24) == 3     # extra bytes: ignored (4.1.10)
    # a v3 query announcing more sources than it holds
    igmp.emit_v3_query(q, 0, 10, GROUP, 0, False, 2, 125, b"\xc0\x00\x02\x05", 0, 1)
    assert igmp.query_version(q, 0, 16) == 3
    assert igmp.query_version(q, 0, 15) == 0 and igmp.query_version(q, 0, 12) == 0
    q[10] = 1                                    # 257 sources
    igmp.fill_checksum(q, 0, 24)
    assert igmp.check(q, 0, 24) and igmp.query_version(q, 0, 24) == 0
    # an odd-length message: the padding byte of the sum is zero
    odd = bytearray(9)
    igmp.emit_query(odd, 0, 10, ZERO4, 0)
    odd[8] = 0
    assert igmp.check(odd, 0, 9)


def test_max_resp_code_floats():
    # RFC 3376 4.1.1: below 128 the value; else (mant | 0x10) << (exp + 3)
    for code, value in ((0, 0), (1, 1), (10, 10), (100, 100), (127, 127),
                        (0x80, 128), (0x81, 136), (0x8F, 248), (0x90, 256),
                        (0xA5, 21 << 5), (0xF0, 16 << 10), (0xFF, 31744)):
        assert igmp.decode_code(code) == value, code
    prev = -1
    for code in range(256):
        v = igmp.decode_code(code)
        assert v > prev                          # one code per value, in order
        prev = v
        assert igmp.encode_code(v) == code
    assert igmp.encode_code(129) == 0x80         # rounds down to 128
    assert igmp.encode_code(255) == 0x8F         # 248
    assert igmp.encode_code(1000) == 0xAF        # 31 << 5 = 992
    assert igmp.encode_code(40000) == 0xFF       # clamps to 31744


def test_router_alert_header():
    b = bytearray(34)
    igmp.emit_router_alert(b, 2, KERNEL_IP, 0, GROUP, 0, ipv4.PROTO_IGMP, 8, 1, 0x1234, 0)
    assert ipv4.check(b, 2, 32) == ipv4.OK
    assert ipv4.total_len(b, 2) == 32 and ipv4.header_len(b, 2) == 24
    assert ipv4.ident(b, 2) == 0x1234 and b[2 + 6] & 0x40   # DF
    assert b[3] == 0 and ipv4.ttl(b, 2) == 1
    assert bytes(b[2 + 20:2 + 24]) == b"\x94\x04\x00\x00"
    assert not ipv4.is_fragment(b, 2)
