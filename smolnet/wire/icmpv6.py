# ICMPv6 (RFC 4443): echo, the error messages, and the checksum, which
# (unlike ICMPv4's) covers the IPv6 pseudo-header (RFC 4443 2.3, RFC 8200
# 8.1). Neighbor Discovery's messages are ICMPv6 too: their bodies are in
# ndisc.py.
from micropython import const
from ..fast import sum16, copy

HEADER_LEN = const(8)
_TYPE = const(0)
_CODE = const(1)
_CHECKSUM = const(2)
_PARAM = const(4)      # pointer (param problem), MTU (packet too big), or ident+seq
_IDENT = const(4)
_SEQ = const(6)

TYPE_DEST_UNREACHABLE = const(1)
TYPE_PACKET_TOO_BIG = const(2)
TYPE_TIME_EXCEEDED = const(3)
TYPE_PARAM_PROBLEM = const(4)
TYPE_ECHO_REQUEST = const(128)
TYPE_ECHO_REPLY = const(129)
TYPE_MLD_QUERY = const(130)
TYPE_MLD_REPORT = const(131)
TYPE_MLD_DONE = const(132)
TYPE_ROUTER_SOLICIT = const(133)
TYPE_ROUTER_ADVERT = const(134)
TYPE_NEIGHBOR_SOLICIT = const(135)
TYPE_NEIGHBOR_ADVERT = const(136)
TYPE_REDIRECT = const(137)
TYPE_MLD2_REPORT = const(143)

# destination unreachable codes (RFC 4443 3.1)
CODE_NO_ROUTE = const(0)
CODE_ADDR_UNREACHABLE = const(3)
CODE_PORT_UNREACHABLE = const(4)
# parameter problem codes (RFC 4443 3.4)
CODE_BAD_HEADER_FIELD = const(0)
CODE_UNKNOWN_NEXT_HEADER = const(1)
CODE_UNKNOWN_OPTION = const(2)

# RFC 4443 2.4 (c): an error carries as much of the invoking packet as fits
# in the minimum IPv6 MTU: 1280 - 40 (IPv6) - 8 (ICMPv6) bytes
QUOTE_MAX = const(1232)


def check(buf, off, n, pseudo_sum):
    """n bytes of ICMPv6 message at off with pseudo_sum, the folded
    pseudo-header sum for (src, dst, 58, n): a valid checksum and room for
    the type/code/checksum. Longer minimums are per type (ndisc.py)."""
    return n >= 4 and sum16(buf, off, n, pseudo_sum) == 0xFFFF


def msg_type(buf, off):
    return buf[off + _TYPE]


def code(buf, off):
    return buf[off + _CODE]


def ident(buf, off):
    return (buf[off + _IDENT] << 8) | buf[off + _IDENT + 1]


def seq(buf, off):
    return (buf[off + _SEQ] << 8) | buf[off + _SEQ + 1]


def param(buf, off):
    """The 32-bit pointer/MTU field, saturated at 0xFFFF (no larger value
    is meaningful on a link with a 16-bit MTU, and no boxed int is made)."""
    if buf[off + _PARAM] or buf[off + _PARAM + 1]:
        return 0xFFFF
    return (buf[off + _PARAM + 2] << 8) | buf[off + _PARAM + 3]


def is_error(t):
    """RFC 4443 2.1: types 0..127 are errors, 128..255 informational."""
    return t < 128


def emit_header(buf, off, t, c, ident_, seq_):
    buf[off + _TYPE] = t
    buf[off + _CODE] = c
    buf[off + _CHECKSUM] = 0
    buf[off + _CHECKSUM + 1] = 0
    buf[off + _IDENT] = ident_ >> 8
    buf[off + _IDENT + 1] = ident_ & 0xFF
    buf[off + _SEQ] = seq_ >> 8
    buf[off + _SEQ + 1] = seq_ & 0xFF


def set_type(buf, off, t):
    buf[off + _TYPE] = t


def fill_checksum(buf, off, n, pseudo_sum):
    buf[off + _CHECKSUM] = 0
    buf[off + _CHECKSUM + 1] = 0
    c = ~sum16(buf, off, n, pseudo_sum) & 0xFFFF
    buf[off + _CHECKSUM] = c >> 8
    buf[off + _CHECKSUM + 1] = c & 0xFF


def emit_error(buf, off, t, c, param_, quote, qoff, qlen):
    """An error message (type t, code c, 16-bit pointer or MTU param_)
    quoting qlen bytes of the invoking packet, IPv6 header first. The
    checksum is left for the caller (it needs the pseudo-header). Returns
    the message length."""
    buf[off + _TYPE] = t
    buf[off + _CODE] = c
    buf[off + _CHECKSUM] = 0
    buf[off + _CHECKSUM + 1] = 0
    buf[off + _PARAM] = 0
    buf[off + _PARAM + 1] = 0
    buf[off + _PARAM + 2] = param_ >> 8
    buf[off + _PARAM + 3] = param_ & 0xFF
    copy(buf, off + HEADER_LEN, quote, qoff, qlen)
    return HEADER_LEN + qlen
