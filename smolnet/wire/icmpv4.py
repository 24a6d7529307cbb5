# ICMPv4 (RFC 792): echo request/reply and the error messages the stack
# sends and understands. The checksum covers the whole ICMP message.
from micropython import const
from ..fast import sum16, copy

HEADER_LEN = const(8)
_TYPE = const(0)
_CODE = const(1)
_CHECKSUM = const(2)
_IDENT = const(4)
_SEQ = const(6)

TYPE_ECHO_REPLY = const(0)
TYPE_DEST_UNREACHABLE = const(3)
TYPE_ECHO_REQUEST = const(8)
TYPE_TIME_EXCEEDED = const(11)
TYPE_PARAM_PROBLEM = const(12)

_CODE_NET_UNREACHABLE = const(0)
_CODE_HOST_UNREACHABLE = const(1)
_CODE_PROTO_UNREACHABLE = const(2)
CODE_PORT_UNREACHABLE = const(3)
_CODE_FRAG_NEEDED = const(4)


def check(buf, off, n):
    return n >= HEADER_LEN and sum16(buf, off, n, 0) == 0xFFFF


def msg_type(buf, off):
    return buf[off + _TYPE]


def code(buf, off):
    return buf[off + _CODE]


def ident(buf, off):
    return (buf[off + _IDENT] << 8) | buf[off + (_IDENT + 1)]


def seq(buf, off):
    return (buf[off + _SEQ] << 8) | buf[off + (_SEQ + 1)]


def is_error(t):
    return t == TYPE_DEST_UNREACHABLE or t == TYPE_TIME_EXCEEDED or t == TYPE_PARAM_PROBLEM \
        or t == 4 or t == 5  # source quench, redirect


def emit_header(buf, off, t, c, ident_, seq_):
    buf[off + _TYPE] = t
    buf[off + _CODE] = c
    buf[off + _IDENT] = ident_ >> 8
    buf[off + (_IDENT + 1)] = ident_ & 0xFF
    buf[off + _SEQ] = seq_ >> 8
    buf[off + (_SEQ + 1)] = seq_ & 0xFF


def fill_checksum(buf, off, n):
    buf[off + _CHECKSUM] = 0
    buf[off + (_CHECKSUM + 1)] = 0
    c = ~sum16(buf, off, n, 0) & 0xFFFF
    buf[off + _CHECKSUM] = c >> 8
    buf[off + (_CHECKSUM + 1)] = c & 0xFF


def set_type(buf, off, t):
    buf[off + _TYPE] = t


def emit_error(buf, off, t, c, quote, qoff, qlen):
    """An error message quoting qlen bytes of the offending datagram (its IP
    header and at least 8 bytes of payload: RFC 792, RFC 1812 4.3.2.3).
    Returns the ICMP message length."""
    emit_header(buf, off, t, c, 0, 0)
    copy(buf, off + HEADER_LEN, quote, qoff, qlen)
    fill_checksum(buf, off, HEADER_LEN + qlen)
    return HEADER_LEN + qlen
