# runtimes: cpython unix wasm
# MLD codec (smolnet/wire/mld.py) and the Hop-by-Hop Router Alert header
# (wire/ipv6.py) against the Linux kernel's own messages (vectors_mld.py):
# every field read back, every host message rebuilt byte for byte from its
# fields, queries rebuilt up to the bridge's different padding, malformed
# messages refused, and the Max Response Code / QQIC floats of RFC 3810
# 5.1.3 and 5.1.9 decoded with integers only.
from smolnet.wire import mld, ipv6, icmpv6, checksum
from vectors_mld import (MLD2_JOIN_BYTES, MLD2_LEAVE_BYTES, MLD1_REPORT_BYTES, MLD1_DONE_BYTES,
                         MLD2_GENERAL_QUERY_BYTES, MLD2_CURRENT_STATE_BYTES,
                         MLD2_SPECIFIC_QUERY_BYTES, MLD2_SPECIFIC_QUERY_S_BYTES,
                         MLD2_ALLOW_BYTES, MLD2_SOURCE_QUERY_BYTES, MLD2_FROM_UNSPECIFIED_BYTES,
                         MLD1_GENERAL_QUERY_BYTES, MLD1_REPORT_SN_BYTES,
                         MLD1_SPECIFIC_QUERY_BYTES, MLD2_QUERY_FLOATS_BYTES, GROUP, GROUP2,
                         SOURCE)

_L4 = 14 + 40 + 8      # Ethernet, IPv6, the 8-byte Hop-by-Hop header

ALL = (MLD2_JOIN_BYTES, MLD2_LEAVE_BYTES, MLD1_REPORT_BYTES, MLD1_DONE_BYTES,
       MLD2_GENERAL_QUERY_BYTES, MLD2_CURRENT_STATE_BYTES, MLD2_SPECIFIC_QUERY_BYTES,
       MLD2_SPECIFIC_QUERY_S_BYTES, MLD2_ALLOW_BYTES, MLD2_SOURCE_QUERY_BYTES,
       MLD2_FROM_UNSPECIFIED_BYTES, MLD1_GENERAL_QUERY_BYTES, MLD1_REPORT_SN_BYTES,
       MLD1_SPECIFIC_QUERY_BYTES, MLD2_QUERY_FLOATS_BYTES)
QUERIES = (MLD2_GENERAL_QUERY_BYTES, MLD2_SPECIFIC_QUERY_BYTES, MLD2_SPECIFIC_QUERY_S_BYTES,
           MLD2_SOURCE_QUERY_BYTES, MLD1_GENERAL_QUERY_BYTES, MLD1_SPECIFIC_QUERY_BYTES,
           MLD2_QUERY_FLOATS_BYTES)


def _mlen(f):
    return ipv6.payload_len(f, 14) - 8


def _pseudo(f, n):
    return checksum.pseudo6(f, 14 + ipv6.SRC, f, 14 + ipv6.DST, 58, n)


def _frame(src_frame, body):
    """A frame with src_frame's link and IPv6 addresses, our own Hop-by-Hop
    Router Alert header, and body as the ICMPv6 message (checksum filled)."""
    f = bytearray(_L4 + len(body))
    f[0:14] = src_frame[0:14]
    ipv6.emit(f, 14, src_frame, 14 + ipv6.SRC, src_frame, 14 + ipv6.DST, ipv6.NH_HOPOPT,
              8 + len(body), 1)
    assert ipv6.emit_router_alert(f, 54, 58) == ipv6.HBH_ROUTER_ALERT_LEN
    f[_L4:] = body
    icmpv6.fill_checksum(f, _L4, len(body), _pseudo(f, len(body)))
    return bytes(f)


def test_captures_are_mld_with_router_alert():
    # hop limit 1, a Hop-by-Hop header first with a Router Alert of value
    # 0 (the hosts' PadN and the bridge's two Pad1 both parse), ICMPv6 next,
    # a good checksum over the real destination, 33:33 + the group's low 32
    # bits for a MAC
    mac = bytearray(6)
    for f in ALL:
        assert ipv6.check(f, 14, len(f) - 14) == ipv6.OK
        assert ipv6.hop_limit(f, 14) == 1 and ipv6.next_header(f, 14) == ipv6.NH_HOPOPT
        assert ipv6.ext_len(f, 54) == 8 and f[54] == 58
        assert ipv6.router_alert(f, 54, 8) == ipv6.ROUTER_ALERT_MLD
        assert ipv6.scan_options(f, 54, 8) == ipv6.OPT_SKIP
        n = _mlen(f)
        assert n == len(f) - _L4
        assert icmpv6.check(f, _L4, n, _pseudo(f, n))
        ipv6.multicast_mac(mac, 0, f, 14 + ipv6.DST)
        assert bytes(mac) == f[0:6]


def test_router_alert_header_bytes_and_absence():
    b = bytearray(8)
    ipv6.emit_router_alert(b, 0, 58)
    assert bytes(b) == bytes.fromhex("3a00050200000100") == MLD2_JOIN_BYTES[54:62]
    # no option, a different option, a truncated one: -1
    assert ipv6.router_alert(bytes.fromhex("3a00010400000000"), 0, 8) == -1
    assert ipv6.router_alert(bytes.fromhex("3a00c20400000000"), 0, 8) == -1
    assert ipv6.router_alert(bytes.fromhex("3a00000000000502"), 0, 8) == -1
    # another value is still a Router Alert (RFC 2711: 1 is RSVP)
    assert ipv6.router_alert(bytes.fromhex("3a00000502000100"), 0, 8) == 1


def test_v2_query_fields():
    f = MLD2_GENERAL_QUERY_BYTES
    n = _mlen(f)
    assert n == 28 and mld.msg_type(f, _L4) == mld.TYPE_QUERY
    assert mld.query_version(f, _L4, n) == 2
    assert mld.group_is_unspecified(f, _L4)
    assert mld.max_resp_code(f, _L4) == 10000 and mld.decode_max_resp(10000) == 10000
    assert mld.s_flag(f, _L4) == 0 and mld.qrv(f, _L4) == 2
    assert mld.qqic(f, _L4) == 3 and mld.decode_qqic(3) == 3
    assert mld.num_sources(f, _L4) == 0
    for f, s in ((MLD2_SPECIFIC_QUERY_BYTES, 0), (MLD2_SPECIFIC_QUERY_S_BYTES, 1)):
        assert mld.query_version(f, _L4, _mlen(f)) == 2
        assert not mld.group_is_unspecified(f, _L4)
        assert f[_L4 + mld.GROUP:_L4 + mld.GROUP + 16] == GROUP
        assert mld.max_resp_code(f, _L4) == 1000 and mld.s_flag(f, _L4) == s
        assert mld.qrv(f, _L4) == 2 and mld.decode_qqic(mld.qqic(f, _L4)) == 125
    f = MLD2_SOURCE_QUERY_BYTES
    n = _mlen(f)
    assert n == 44 and mld.query_version(f, _L4, n) == 2 and mld.num_sources(f, _L4) == 1
    assert f[_L4 + mld.GROUP:_L4 + mld.GROUP + 16] == GROUP2
    assert f[_L4 + mld.SOURCES:_L4 + mld.SOURCES + 16] == SOURCE


def test_v1_query_fields():
    f = MLD1_GENERAL_QUERY_BYTES
    assert _mlen(f) == 24 and mld.query_version(f, _L4, 24) == 1
    assert mld.group_is_unspecified(f, _L4) and mld.max_resp_code(f, _L4) == 3000
    f = MLD1_SPECIFIC_QUERY_BYTES
    assert mld.query_version(f, _L4, 24) == 1 and mld.max_resp_code(f, _L4) == 1000
    assert f[_L4 + mld.GROUP:_L4 + mld.GROUP + 16] == GROUP


def test_queries_rebuilt_from_their_fields():
    # the ICMPv6 message of every query, rebuilt (the IPv6 padding is the
    # bridge's own, so the frames differ there and in the IPv6 header only)
    for f in QUERIES:
        n = _mlen(f)
        b = bytearray(n)
        g = None if mld.group_is_unspecified(f, _L4) else f
        if mld.query_version(f, _L4, n) == 1:
            k = mld.emit_query_v1(b, 0, mld.max_resp_code(f, _L4), g, _L4 + mld.GROUP)
        else:
            k = mld.emit_query_v2(b, 0, mld.max_resp_code(f, _L4), g, _L4 + mld.GROUP,
                                  mld.s_flag(f, _L4), mld.qrv(f, _L4), mld.qqic(f, _L4), f,
                                  _L4 + mld.SOURCES, mld.num_sources(f, _L4))
        assert k == n
        out = _frame(f, b)
        assert out[_L4:] == f[_L4:]
        assert out[0:54] == f[0:54]


def test_host_messages_rebuilt_byte_for_byte():
    # what a host sends, Hop-by-Hop header included: the kernel's bytes
    def v2(f, records):
        b = bytearray(mld.REPORT_LEN + mld.RECORD_LEN * len(records))
        assert mld.emit_report_header(b, 0, len(records)) == mld.REPORT_LEN
        p = mld.REPORT_LEN
        for rtype, g in records:
            p += mld.emit_record(b, p, rtype, g, 0)
        return _frame(f, b)

    assert v2(MLD2_JOIN_BYTES, [(mld.CHANGE_TO_EXCLUDE, GROUP)]) == MLD2_JOIN_BYTES
    assert v2(MLD2_LEAVE_BYTES, [(mld.CHANGE_TO_INCLUDE, GROUP)]) == MLD2_LEAVE_BYTES
    sn = bytes.fromhex("ff0200000000000000000001ff000002")
    sn_bb = bytes.fromhex("ff0200000000000000000001ff0000bb")
    assert v2(MLD2_CURRENT_STATE_BYTES, [(mld.MODE_IS_EXCLUDE, sn), (mld.MODE_IS_EXCLUDE, sn_bb)]) \
        == MLD2_CURRENT_STATE_BYTES
    sn_cc = bytes.fromhex("ff0200000000000000000001ff0000cc")
    snoopers = bytes.fromhex("ff02000000000000000000000000006a")
    assert v2(MLD2_FROM_UNSPECIFIED_BYTES, [(mld.CHANGE_TO_EXCLUDE, sn_cc),
                                            (mld.CHANGE_TO_EXCLUDE, snoopers)]) \
        == MLD2_FROM_UNSPECIFIED_BYTES
    for f, t in ((MLD1_REPORT_BYTES, mld.TYPE_V1_REPORT), (MLD1_DONE_BYTES, mld.TYPE_V1_DONE),
                 (MLD1_REPORT_SN_BYTES, mld.TYPE_V1_REPORT)):
        b = bytearray(24)
        assert mld.emit_v1(b, 0, t, f, _L4 + mld.GROUP) == mld.V1_LEN
        assert _frame(f, b) == f


def test_v2_report_fields():
    f = MLD2_CURRENT_STATE_BYTES
    n = _mlen(f)
    assert mld.msg_type(f, _L4) == mld.TYPE_V2_REPORT and mld.report_check(f, _L4, n)
    assert mld.num_records(f, _L4) == 2
    r = _L4 + mld.RECORDS
    assert mld.record_type(f, r) == mld.MODE_IS_EXCLUDE and mld.record_num_sources(f, r) == 0
    assert mld.record_len(f, r) == 20
    assert f[r + mld.R_GROUP + 13:r + mld.R_GROUP + 16] == b"\x00\x00\x02"
    f = MLD2_ALLOW_BYTES
    n = _mlen(f)
    assert mld.report_check(f, _L4, n) and mld.num_records(f, _L4) == 1
    r = _L4 + mld.RECORDS
    assert mld.record_type(f, r) == mld.ALLOW_NEW_SOURCES and mld.record_num_sources(f, r) == 1
    assert mld.record_len(f, r) == 36
    assert f[r + mld.R_GROUP:r + mld.R_GROUP + 16] == GROUP2
    assert f[r + mld.R_SOURCES:r + mld.R_SOURCES + 16] == SOURCE
    # aux data counts in 32-bit words (RFC 3810 5.2.6)
    b = bytearray(f[_L4:])
    b[mld.RECORDS + 1] = 2
    assert mld.record_len(b, mld.RECORDS) == 44 and not mld.report_check(b, 0, len(b))
    assert mld.report_check(b + bytes(8), 0, len(b) + 8)


def test_malformed_refused():
    # RFC 3810 8.1: 24 bytes is v1, 28 or more v2, anything else nothing
    q = bytearray(MLD2_GENERAL_QUERY_BYTES[_L4:])
    for n, v in ((0, 0), (8, 0), (23, 0), (24, 1), (25, 0), (26, 0), (27, 0), (28, 2),
                 (60, 2)):
        assert mld.query_version(q + bytes(40), 0, n) == v
    # a v2 query must hold the sources it announces
    q[27] = 1
    assert mld.query_version(q, 0, 28) == 0
    assert mld.query_version(q + bytes(15), 0, 43) == 0
    assert mld.query_version(q + bytes(16), 0, 44) == 2
    q[26] = 0xFF
    assert mld.query_version(q + bytes(100), 0, 128) == 0
    # reports: records past the end, a short header, a record count too high
    r = bytearray(MLD2_CURRENT_STATE_BYTES[_L4:])
    assert mld.report_check(r, 0, len(r))
    assert not mld.report_check(r, 0, len(r) - 1)
    assert not mld.report_check(r, 0, 7)
    r[7] = 3
    assert not mld.report_check(r + bytes(19), 0, len(r) + 19)
    assert mld.report_check(r + bytes(20), 0, len(r) + 20)
    r = bytearray(MLD2_ALLOW_BYTES[_L4:])
    r[mld.RECORDS + 3] = 2                   # two sources announced, one there
    assert not mld.report_check(r, 0, len(r))


def test_float_codes_decoded_with_integers():
    # the bridge's unencoded 60000 ms and 200 s, read the RFC way (tshark:
    # "Maximum Response Code: 3457024", "QQIC: 3072")
    f = MLD2_QUERY_FLOATS_BYTES
    assert mld.max_resp_code(f, _L4) == 60000 and mld.decode_max_resp(60000) == 3457024
    assert mld.qqic(f, _L4) == 200 and mld.decode_qqic(200) == 3072
    # RFC 3810 5.1.3: (mant | 0x1000) << (exp + 3)
    assert mld.decode_max_resp(32767) == 32767
    assert mld.decode_max_resp(0x8000) == 32768
    assert mld.decode_max_resp(0x8001) == 32776
    assert mld.decode_max_resp(0xFFFF) == 8387584 == 0x1FFF << 10
    assert mld.decode_qqic(127) == 127 and mld.decode_qqic(0x80) == 128
    assert mld.decode_qqic(0xFF) == 31744
    # every code decodes to a distinct value its encoding gives back
    last = -1
    for c in range(0, 0x10000, 7):
        v = mld.decode_max_resp(c)
        assert v > last and mld.encode_max_resp(v) == c
        last = v
    for c in range(256):
        assert mld.encode_qqic(mld.decode_qqic(c)) == c
    # values between codes round down; past the largest they clamp
    assert mld.encode_max_resp(32775) == 0x8000
    assert mld.encode_max_resp(9000000) == 0xFFFF
    assert mld.encode_qqic(135) == 0x80 and mld.encode_qqic(40000) == 0xFF
    for ms in (32768, 50000, 100000, 1000000, 8000000):
        v = mld.decode_max_resp(mld.encode_max_resp(ms))
        assert v <= ms and ms - v < (ms >> 11)
