# IPv4 header (RFC 791). Options are carried but not interpreted: their bytes
# are skipped using IHL. Fragments are recognised (is_fragment) and put back
# together by iface/reasm4.py.
from micropython import const
from ..fast import copy, sum16

HEADER_LEN = const(20)
_VER_IHL = const(0)
_TOS = const(1)
_TOTAL_LEN = const(2)
_IDENT = const(4)
_FLAGS_FRAG = const(6)
_TTL = const(8)
_PROTO = const(9)
_CHECKSUM = const(10)
SRC = const(12)
DST = const(16)

PROTO_ICMP = const(1)
PROTO_IGMP = const(2)
_PROTO_TCP = const(6)
PROTO_UDP = const(17)

_FLAG_DF = const(0x40)
_FLAG_MF = const(0x20)

# check() results: 0 is a good header, the rest say why not
OK = const(0)
ERR_SHORT = const(1)
ERR_VERSION = const(2)
ERR_LENGTH = const(3)
ERR_CHECKSUM = const(4)


def check(buf, off, n):
    """Validate the header of a packet of n bytes at off (n may include
    link-layer padding beyond total_len)."""
    if n < HEADER_LEN:
        return ERR_SHORT
    vi = buf[off + _VER_IHL]
    if vi >> 4 != 4:
        return ERR_VERSION
    hl = (vi & 0x0F) << 2
    tl = (buf[off + _TOTAL_LEN] << 8) | buf[off + (_TOTAL_LEN + 1)]  # total_len(), inlined
    if hl < HEADER_LEN or tl < hl or tl > n or hl > n:
        return ERR_LENGTH
    if sum16(buf, off, hl, 0) != 0xFFFF:
        return ERR_CHECKSUM
    return OK


def header_len(buf, off):
    return (buf[off + _VER_IHL] & 0x0F) << 2


def total_len(buf, off):
    return (buf[off + _TOTAL_LEN] << 8) | buf[off + (_TOTAL_LEN + 1)]


def protocol(buf, off):
    return buf[off + _PROTO]


def ttl(buf, off):
    return buf[off + _TTL]


def ident(buf, off):
    return (buf[off + _IDENT] << 8) | buf[off + (_IDENT + 1)]


def is_fragment(buf, off):
    """More-fragments set or a non-zero fragment offset (RFC 791 3.1)."""
    return (buf[off + _FLAGS_FRAG] & (_FLAG_MF | 0x1F)) != 0 or buf[off + (_FLAGS_FRAG + 1)] != 0


def frag_offset(buf, off):
    """Fragment offset in bytes."""
    return (((buf[off + _FLAGS_FRAG] & 0x1F) << 8) | buf[off + (_FLAGS_FRAG + 1)]) << 3


def emit(buf, off, src, soff, dst, doff, proto, payload_len, ttl_, ident_, df):
    """Write a 20-byte header (no options) with its checksum. Off the packet
    path (ping's raw socket, IGMP): eleven arguments take a frame from the
    heap (tools/frame_sizes.py); the Interface calls fill_header."""
    copy(buf, off + SRC, src, soff, 4)
    copy(buf, off + DST, dst, doff, 4)
    fill_header(buf, off, proto, df, payload_len, ttl_, ident_ & 0xFFFF)


def fill_header(buf, off, proto, df, payload_len, ttl_, ident_):
    """emit() around the addresses already at off + SRC and off + DST (the
    Interface copies them in, or swaps them for an answer in place), in
    seven arguments: its frame and its callers' stay on the C stack.
    ident_: 0..0xFFFF."""
    payload_len += HEADER_LEN           # the total length from here on
    buf[off + _VER_IHL] = 0x45
    buf[off + _TOS] = 0
    buf[off + _TOTAL_LEN] = payload_len >> 8
    buf[off + (_TOTAL_LEN + 1)] = payload_len & 0xFF
    buf[off + _IDENT] = ident_ >> 8
    buf[off + (_IDENT + 1)] = ident_ & 0xFF
    buf[off + _FLAGS_FRAG] = _FLAG_DF if df else 0
    buf[off + (_FLAGS_FRAG + 1)] = 0
    buf[off + _TTL] = ttl_
    buf[off + _PROTO] = proto
    fill_checksum(buf, off)


def fill_checksum(buf, off):
    buf[off + _CHECKSUM] = 0
    buf[off + (_CHECKSUM + 1)] = 0
    c = ~sum16(buf, off, (buf[off] & 0x0F) << 2, 0) & 0xFFFF
    buf[off + _CHECKSUM] = c >> 8
    buf[off + (_CHECKSUM + 1)] = c & 0xFF
