# TCP header and options (RFC 9293 3.1, RFC 7323, RFC 2018).
#
# Plain functions over (buf, off), off being the first byte of the TCP header.
# Nothing here allocates. 32-bit fields (sequence and acknowledgment numbers,
# timestamps) are never turned into Python ints here: callers read them
# relative to a base with smolnet.fast.seq_get (see socket/tcp_seq.py for
# why), or copy them byte by byte.
#
# Options are parsed into a preallocated Options object: parse() (a socket's
# segments: data offset checked too) and parse_options() only record which
# options were present and where their values are, so a SACK block or a
# timestamp is read later straight from the frame.
from micropython import const
from ..fast import sum16

HEADER_LEN = const(20)
_MAX_HEADER_LEN = const(60)
_MAX_OPTIONS_LEN = const(40)

_SRC_PORT = const(0)
_DST_PORT = const(2)
SEQ = const(4)
ACK = const(8)
_DOFF = const(12)
FLAGS = const(13)
_WINDOW = const(14)
CHECKSUM = const(16)
_URGENT = const(18)

FIN = const(0x01)
SYN = const(0x02)
RST = const(0x04)
PSH = const(0x08)
ACK_FLAG = const(0x10)
URG = const(0x20)
ECE = const(0x40)
CWR = const(0x80)

_OPT_EOL = const(0)
_OPT_NOP = const(1)
_OPT_MSS = const(2)
_OPT_WS = const(3)
_OPT_SACK_PERM = const(4)
_OPT_SACK = const(5)
_OPT_TS = const(8)

# bytes each option takes in what we emit (NOP padded to 4-byte alignment)
_LEN_MSS = const(4)
_LEN_WS = const(4)         # NOP, WS
_LEN_SACK_PERM = const(4)  # NOP, NOP, SACK-permitted (alone)
_LEN_TS = const(12)        # NOP, NOP, TS
_LEN_SACK_TS = const(12)   # SACK-permitted, TS (the Linux SYN layout)
_WS_MAX = const(14)        # RFC 7323 2.3


def _u16(buf, off):
    return (buf[off] << 8) | buf[off + 1]


def _put16(buf, off, v):
    buf[off] = (v >> 8) & 0xFF
    buf[off + 1] = v & 0xFF


# --- fixed header fields ----------------------------------------------------
def src_port(buf, off):
    return _u16(buf, off)


def dst_port(buf, off):
    return _u16(buf, off + _DST_PORT)


def header_len(buf, off):
    return (buf[off + _DOFF] >> 4) << 2


def flags(buf, off):
    return buf[off + FLAGS]


def window(buf, off):
    return _u16(buf, off + _WINDOW)


def checksum(buf, off):
    return _u16(buf, off + CHECKSUM)


def urgent(buf, off):
    return _u16(buf, off + _URGENT)


def put_header(buf, off, sport, dport, flg, hlen, win):
    """Write everything but the sequence and acknowledgment numbers (the
    caller writes those with fast.seq_put, or copy32). Checksum and
    urgent pointer are zeroed; the Interface fills the checksum. (Every
    segment sent: _put16 inline.)"""
    buf[off] = (sport >> 8) & 0xFF
    buf[off + 1] = sport & 0xFF
    buf[off + _DST_PORT] = (dport >> 8) & 0xFF
    buf[off + _DST_PORT + 1] = dport & 0xFF
    buf[off + _DOFF] = (hlen >> 2) << 4
    buf[off + FLAGS] = flg
    buf[off + _WINDOW] = (win >> 8) & 0xFF
    buf[off + _WINDOW + 1] = win & 0xFF
    buf[off + CHECKSUM] = 0
    buf[off + CHECKSUM + 1] = 0
    buf[off + _URGENT] = 0
    buf[off + _URGENT + 1] = 0


def copy32(dst, doff, src, soff):
    dst[doff] = src[soff]
    dst[doff + 1] = src[soff + 1]
    dst[doff + 2] = src[soff + 2]
    dst[doff + 3] = src[soff + 3]


def zero32(buf, off):
    buf[off] = 0
    buf[off + 1] = 0
    buf[off + 2] = 0
    buf[off + 3] = 0


# --- checksum (pseudo-header per RFC 9293 3.1 / RFC 8200 8.1) ---------------
def pseudo_sum(src, soff, dst, doff, alen, l4_len):
    """Folded sum of the IPv4 (alen 4) or IPv6 (alen 16) pseudo-header. Both
    reduce to addresses + protocol + length as long as l4_len < 2**16."""
    s = sum16(src, soff, alen, 0)
    s = sum16(dst, doff, alen, s)
    s += 6 + l4_len
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def fill_checksum(buf, off, l4_len, psum):
    buf[off + CHECKSUM] = 0
    buf[off + CHECKSUM + 1] = 0
    _put16(buf, off + CHECKSUM, ~sum16(buf, off, l4_len, psum) & 0xFFFF)


# --- options ----------------------------------------------------------------
class Options:
    """What parse / parse_options found. One per socket (or per parser),
    reused for every segment. Values stay in the frame: ts_off / sack_off
    are offsets into the buffer that was parsed, meaningful while ts /
    sack_n say the option is there."""

    def __init__(self):
        self.clear()

    def clear(self):
        self.mss = 0          # 0: absent
        self.ws = -1          # -1: absent; else the shift (clamped to 14)
        self.sack_perm = False
        self.ts = False
        self.ts_off = 0       # TSval at ts_off, TSecr at ts_off + 4
        self.sack_n = 0       # number of SACK blocks
        self.sack_off = 0     # left edge of block i at sack_off + 8*i, right at +4


def parse(buf, off, l4_len, o):
    """Check the data offset of the segment at off (l4_len bytes long) and
    parse its options into o. Returns the data's length, or -1 if the
    segment must be dropped: a data offset under 5 words or past the
    segment (RFC 9293 3.1), or an illegal option length (parse_options).
    For every segment a socket takes: the options of a segment after a
    handshake with timestamps (RFC 7323 Appendix A's NOP, NOP, TS) are
    recognized without the walk."""
    hlen = (buf[off + _DOFF] >> 4) << 2
    if hlen < HEADER_LEN or hlen > l4_len:
        return -1
    i = off + HEADER_LEN
    if hlen == HEADER_LEN + _LEN_TS and buf[i + 2] == _OPT_TS and buf[i + 3] == 10 and \
            buf[i] == _OPT_NOP and buf[i + 1] == _OPT_NOP:
        o.mss = 0
        o.ws = -1
        o.sack_perm = False
        o.ts = True
        o.ts_off = i + 4
        o.sack_n = 0
    elif hlen == HEADER_LEN:
        o.clear()
    elif not _options(buf, i, off + hlen, o):
        return -1
    return l4_len - hlen


def parse_options(buf, off, hlen, o):
    """Parse the options of the header at off (hlen from header_len()).
    Unknown options are skipped by their length (RFC 9293 3.2); a known
    option with a wrong length is ignored. Returns False for an illegal
    length (0, 1, or running past the header), which RFC 9293 3.2 asks us to
    survive: the caller drops the segment."""
    return _options(buf, off + HEADER_LEN, off + hlen, o)


def _options(buf, i, end, o):
    # the walk over the options in buf[i:end]
    o.clear()
    while i < end:
        kind = buf[i]
        if kind == _OPT_EOL:
            break
        if kind == _OPT_NOP:
            i += 1
            continue
        if i + 1 >= end:
            return False
        n = buf[i + 1]
        if n < 2 or i + n > end:
            return False
        if kind == _OPT_MSS:
            if n == 4:
                o.mss = (buf[i + 2] << 8) | buf[i + 3]
        elif kind == _OPT_WS:
            if n == 3:
                # RFC 7323 2.3: a shift above 14 is treated as 14
                o.ws = buf[i + 2] if buf[i + 2] <= _WS_MAX else _WS_MAX
        elif kind == _OPT_SACK_PERM:
            if n == 2:
                o.sack_perm = True
        elif kind == _OPT_SACK:
            if n >= 10 and (n - 2) & 7 == 0:
                o.sack_n = (n - 2) >> 3
                o.sack_off = i + 2
        elif kind == _OPT_TS:
            if n == 10:
                o.ts = True
                o.ts_off = i + 2
        i += n
    return True


def put_mss(buf, off, mss):
    buf[off] = _OPT_MSS
    buf[off + 1] = 4
    _put16(buf, off + 2, mss)
    return off + 4


def put_ws(buf, off, shift):
    buf[off] = _OPT_NOP
    buf[off + 1] = _OPT_WS
    buf[off + 2] = 3
    buf[off + 3] = shift
    return off + 4


def put_sack_perm(buf, off):
    buf[off] = _OPT_NOP
    buf[off + 1] = _OPT_NOP
    buf[off + 2] = _OPT_SACK_PERM
    buf[off + 3] = 2
    return off + 4


def put_ts_head(buf, off, with_sack_perm):
    """The two bytes before a TS option: NOP NOP, or SACK-permitted (the
    SYN layout Linux uses). Returns where TSval goes; the caller writes
    TSval there and TSecr 4 bytes later (12 bytes in all)."""
    if with_sack_perm:
        buf[off] = _OPT_SACK_PERM
        buf[off + 1] = 2
    else:
        buf[off] = _OPT_NOP
        buf[off + 1] = _OPT_NOP
    buf[off + 2] = _OPT_TS
    buf[off + 3] = 10
    return off + 4


def put_sack_head(buf, off, nblocks):
    """NOP NOP SACK(len) header; blocks follow at the returned offset,
    8 bytes each (left edge, right edge)."""
    buf[off] = _OPT_NOP
    buf[off + 1] = _OPT_NOP
    buf[off + 2] = _OPT_SACK
    buf[off + 3] = 2 + (nblocks << 3)
    return off + 4


# --- RST for segments no socket wants (RFC 9293 3.10.7.1) ------------------
def _add_be32(dst, doff, src, soff, k):
    # dst[doff:doff+4] = src[soff:soff+4] + k (mod 2**32), 0 <= k < 2**16,
    # done byte by byte so no 32-bit int is ever made
    c = k
    i = 3
    while i >= 0:
        c += src[soff + i]
        dst[doff + i] = c & 0xFF
        c >>= 8
        i -= 1


def emit_rst_reply(buf, l4_off, in_buf, in_l4_off, in_l4_len):
    """Write at buf[l4_off:] the RST answering the segment at
    in_buf[in_l4_off:] (in_l4_len bytes, header already validated), and
    return its length (20), or 0 if no RST must be sent (the segment is
    itself a RST). The checksum is left zero for tx_finish to fill.
    RFC 9293 3.10.7.1: if the segment carries an ACK, the RST takes its
    sequence number from SEG.ACK; otherwise seq is zero and it acknowledges
    SEG.SEQ + SEG.LEN (SYN and FIN each count one) with the ACK flag.
    buf and in_buf may be the same bytearray (as long as the areas do not
    overlap)."""
    f = in_buf[in_l4_off + FLAGS]
    if f & RST:
        return 0
    sport = _u16(in_buf, in_l4_off + _DST_PORT)
    dport = _u16(in_buf, in_l4_off)
    if f & ACK_FLAG:
        copy32(buf, l4_off + SEQ, in_buf, in_l4_off + ACK)
        zero32(buf, l4_off + ACK)
        put_header(buf, l4_off, sport, dport, RST, HEADER_LEN, 0)
    else:
        seg_len = in_l4_len - header_len(in_buf, in_l4_off)
        if f & SYN:
            seg_len += 1
        if f & FIN:
            seg_len += 1
        zero32(buf, l4_off + SEQ)
        _add_be32(buf, l4_off + ACK, in_buf, in_l4_off + SEQ, seg_len)
        put_header(buf, l4_off, sport, dport, RST | ACK_FLAG, HEADER_LEN, 0)
    return HEADER_LEN
