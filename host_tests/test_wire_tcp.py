# runtimes: cpython unix wasm
# The TCP codec: header fields, options, checksum, RST replies.
import smolnet  # noqa: F401  (CPython shim)
from smolnet.wire import tcp
from smolnet.fast import sum16

SRC4 = bytes([192, 0, 2, 1])
DST4 = bytes([192, 0, 2, 2])

# A SYN as Linux sends it: 47926 -> 80, seq 0x9a3b1c2d, window 64240,
# options MSS 1460, SACK-permitted, TS(0x0011aabb, 0), NOP, WS 7.
SYN_LINUX_BYTES = bytes([
    0xbb, 0x36, 0x00, 0x50, 0x9a, 0x3b, 0x1c, 0x2d, 0x00, 0x00, 0x00, 0x00,
    0xa0, 0x02, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00,
    0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x11, 0xaa, 0xbb,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
])

# An ACK carrying two SACK blocks and a timestamp, 4 bytes of data.
ACK_SACK_BYTES = bytes([
    0x00, 0x50, 0xbb, 0x36, 0x00, 0x00, 0x10, 0x00, 0x9a, 0x3b, 0x1c, 0x2e,
    0xd0, 0x18, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x01, 0x08, 0x0a, 0x01, 0x02, 0x03, 0x04, 0x00, 0x11, 0xaa, 0xbb,
    0x01, 0x01, 0x05, 0x12,
    0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x30, 0x00,
    0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x48, 0x00,
    0x61, 0x62, 0x63, 0x64,
])


def ref_checksum(src, dst, seg):
    # reference Internet checksum with plain big ints
    data = bytes(src) + bytes(dst) + bytes([0, 6, len(seg) >> 8, len(seg) & 0xFF]) + bytes(seg)
    if len(data) & 1:
        data += b"\x00"
    s = 0
    for i in range(0, len(data), 2):
        s += (data[i] << 8) | data[i + 1]
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def be32(buf, off):
    return (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]


def test_fixed_fields():
    b = SYN_LINUX_BYTES
    assert tcp.src_port(b, 0) == 47926
    assert tcp.dst_port(b, 0) == 80
    assert tcp.header_len(b, 0) == 40
    assert tcp.flags(b, 0) == tcp.SYN
    assert tcp.window(b, 0) == 64240
    assert be32(b, tcp.SEQ) == 0x9a3b1c2d


def test_fields_at_offset():
    b = bytearray(7) + bytearray(ACK_SACK_BYTES)
    assert tcp.src_port(b, 7) == 80
    assert tcp.dst_port(b, 7) == 47926
    assert tcp.header_len(b, 7) == 52
    assert tcp.flags(b, 7) == tcp.ACK_FLAG | tcp.PSH
    assert tcp.window(b, 7) == 256


def test_parse_syn_options():
    o = tcp.Options()
    assert tcp.parse_options(SYN_LINUX_BYTES, 0, 40, o)
    assert o.mss == 1460
    assert o.sack_perm
    assert o.ws == 7
    assert o.ts
    assert be32(SYN_LINUX_BYTES, o.ts_off) == 0x0011aabb
    assert be32(SYN_LINUX_BYTES, o.ts_off + 4) == 0
    assert o.sack_n == 0


def test_parse_sack_and_ts():
    o = tcp.Options()
    assert tcp.parse_options(ACK_SACK_BYTES, 0, 52, o)
    assert o.mss == 0 and o.ws == -1 and not o.sack_perm
    assert o.ts and be32(ACK_SACK_BYTES, o.ts_off) == 0x01020304
    assert o.sack_n == 2
    assert be32(ACK_SACK_BYTES, o.sack_off) == 0x2000
    assert be32(ACK_SACK_BYTES, o.sack_off + 4) == 0x3000
    assert be32(ACK_SACK_BYTES, o.sack_off + 8) == 0x4000
    assert be32(ACK_SACK_BYTES, o.sack_off + 12) == 0x4800


def _with_options(opts):
    n = 20 + len(opts)
    b = bytearray(n)
    tcp.put_header(b, 0, 1, 2, tcp.ACK_FLAG, n, 100)
    for i in range(len(opts)):
        b[20 + i] = opts[i]
    return b


def test_unknown_option_skipped():
    # kind 30 (MPTCP) with 6 bytes, then MSS
    b = _with_options(bytes([30, 6, 1, 2, 3, 4, 2, 4, 0x02, 0x18, 0, 0]))
    o = tcp.Options()
    assert tcp.parse_options(b, 0, 32, o)
    assert o.mss == 0x218


def test_eol_stops_parsing():
    b = _with_options(bytes([1, 0, 2, 4, 0x05, 0xb4, 0, 0]))
    o = tcp.Options()
    assert tcp.parse_options(b, 0, 28, o)
    assert o.mss == 0


def test_illegal_option_lengths():
    o = tcp.Options()
    for opts in (bytes([2, 0, 0, 0]), bytes([2, 1, 0, 0]), bytes([1, 1, 1, 30]),
                 bytes([8, 10, 0, 0]), bytes([30, 9, 0, 0])):
        b = _with_options(opts)
        assert not tcp.parse_options(b, 0, 24, o)


def test_known_option_wrong_length_ignored():
    # MSS with length 3, WS with length 4, TS with length 8, SACK-perm len 3
    b = _with_options(bytes([2, 3, 5, 3, 4, 7, 0, 0, 8, 8, 1, 2, 3, 4, 5, 6, 4, 3, 0, 1]))
    o = tcp.Options()
    assert tcp.parse_options(b, 0, 40, o)
    assert o.mss == 0 and o.ws == -1 and not o.ts and not o.sack_perm


def test_window_scale_clamped():
    b = _with_options(bytes([1, 3, 3, 15]))
    o = tcp.Options()
    assert tcp.parse_options(b, 0, 24, o)
    assert o.ws == 14


def test_sack_bad_length_ignored():
    b = _with_options(bytes([1, 1, 5, 6, 0, 0, 0, 0]))
    o = tcp.Options()
    assert tcp.parse_options(b, 0, 28, o)
    assert o.sack_n == 0


def test_emit_syn_options_round_trip():
    b = bytearray(40)
    tcp.put_header(b, 0, 47926, 80, tcp.SYN, 40, 64240)
    for i in range(4):
        b[tcp.SEQ + i] = SYN_LINUX_BYTES[tcp.SEQ + i]
    p = tcp.put_mss(b, 20, 1460)
    p = tcp.put_ts_head(b, p, True)
    b[p:p + 8] = SYN_LINUX_BYTES[28:36]
    p = tcp.put_ws(b, p + 8, 7)
    assert p == 40
    assert bytes(b) == SYN_LINUX_BYTES


def test_emit_sack_and_perm():
    b = bytearray(40)
    p = tcp.put_sack_perm(b, 20)
    p = tcp.put_sack_head(b, p, 1)
    assert p == 28
    assert bytes(b[20:28]) == bytes([1, 1, 4, 2, 1, 1, 5, 10])
    tcp.put_header(b, 0, 1, 2, tcp.ACK_FLAG, 36, 0)
    o = tcp.Options()
    assert tcp.parse_options(b, 0, 36, o)
    assert o.sack_perm and o.sack_n == 1 and o.sack_off == 28


def test_checksum_matches_reference():
    seg = bytearray(ACK_SACK_BYTES)
    ps = tcp.pseudo_sum(SRC4, 0, DST4, 0, 4, len(seg))
    tcp.fill_checksum(seg, 0, len(seg), ps)
    assert tcp.checksum(seg, 0) == ref_checksum(SRC4, DST4, ACK_SACK_BYTES)
    assert sum16(seg, 0, len(seg), ps) == 0xFFFF
    seg[50] ^= 1
    assert sum16(seg, 0, len(seg), ps) != 0xFFFF


def test_checksum_odd_length_and_v6():
    seg = bytearray(SYN_LINUX_BYTES) + b"x"
    src6 = bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [1])
    dst6 = bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [2])
    ps = tcp.pseudo_sum(src6, 0, dst6, 0, 16, len(seg))
    tcp.fill_checksum(seg, 0, len(seg), ps)
    assert tcp.checksum(seg, 0) == ref_checksum(src6, dst6, SYN_LINUX_BYTES + b"x")
    assert sum16(seg, 0, len(seg), ps) == 0xFFFF


def test_rst_reply_to_ack():
    out = bytearray(30)
    n = tcp.emit_rst_reply(out, 10, ACK_SACK_BYTES, 0, len(ACK_SACK_BYTES))
    assert n == 20
    assert tcp.src_port(out, 10) == 47926 and tcp.dst_port(out, 10) == 80
    assert tcp.flags(out, 10) == tcp.RST
    assert be32(out, 10 + tcp.SEQ) == 0x9a3b1c2e
    assert be32(out, 10 + tcp.ACK) == 0
    assert tcp.header_len(out, 10) == 20 and tcp.window(out, 10) == 0


def test_rst_reply_to_syn():
    out = bytearray(20)
    n = tcp.emit_rst_reply(out, 0, SYN_LINUX_BYTES, 0, len(SYN_LINUX_BYTES))
    assert n == 20
    assert tcp.flags(out, 0) == tcp.RST | tcp.ACK_FLAG
    assert be32(out, tcp.SEQ) == 0
    assert be32(out, tcp.ACK) == 0x9a3b1c2e
    assert tcp.src_port(out, 0) == 80 and tcp.dst_port(out, 0) == 47926


def test_rst_reply_counts_data_syn_fin_and_wraps():
    seg = bytearray(24)
    tcp.put_header(seg, 0, 5, 6, tcp.SYN | tcp.FIN, 20, 0)
    for i in range(4):
        seg[tcp.SEQ + i] = 0xFF
    seg[tcp.SEQ + 3] = 0xFD        # seq 2**32 - 3; len = 4 data + SYN + FIN
    out = bytearray(20)
    assert tcp.emit_rst_reply(out, 0, seg, 0, 24) == 20
    assert be32(out, tcp.ACK) == 3


def test_no_rst_for_rst():
    seg = bytearray(20)
    tcp.put_header(seg, 0, 5, 6, tcp.RST | tcp.ACK_FLAG, 20, 0)
    assert tcp.emit_rst_reply(bytearray(20), 0, seg, 0, 20) == 0
