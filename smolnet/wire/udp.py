# UDP header (RFC 768).
from micropython import const
from ..fast import sum16

HEADER_LEN = const(8)
_SRC_PORT = const(0)
_DST_PORT = const(2)
_LENGTH = const(4)
CHECKSUM = const(6)


def src_port(buf, off):
    return (buf[off] << 8) | buf[off + 1]


def dst_port(buf, off):
    return (buf[off + _DST_PORT] << 8) | buf[off + (_DST_PORT + 1)]


def length(buf, off):
    return (buf[off + _LENGTH] << 8) | buf[off + (_LENGTH + 1)]


def checksum(buf, off):
    return (buf[off + CHECKSUM] << 8) | buf[off + (CHECKSUM + 1)]


def check(buf, off, n, pseudo_sum, zero_ok):
    """n is the IP payload length. pseudo_sum is the folded pseudo-header
    sum for length(buf, off). A zero checksum means "none" on IPv4 (RFC 768)
    but is invalid on IPv6 (RFC 8200 8.1): zero_ok says which."""
    if n < HEADER_LEN:
        return False
    ul = length(buf, off)
    if ul < HEADER_LEN or ul > n:
        return False
    if checksum(buf, off) == 0:
        return zero_ok
    return sum16(buf, off, ul, pseudo_sum) == 0xFFFF


def emit(buf, off, sport, dport, payload_len):
    ul = HEADER_LEN + payload_len
    buf[off] = sport >> 8
    buf[off + 1] = sport & 0xFF
    buf[off + _DST_PORT] = dport >> 8
    buf[off + (_DST_PORT + 1)] = dport & 0xFF
    buf[off + _LENGTH] = ul >> 8
    buf[off + (_LENGTH + 1)] = ul & 0xFF
    buf[off + CHECKSUM] = 0
    buf[off + (CHECKSUM + 1)] = 0


def fill_checksum(buf, off, ul, pseudo_sum):
    buf[off + CHECKSUM] = 0
    buf[off + (CHECKSUM + 1)] = 0
    c = ~sum16(buf, off, ul, pseudo_sum) & 0xFFFF
    if c == 0:
        c = 0xFFFF  # RFC 768: a computed zero is sent as all ones
    buf[off + CHECKSUM] = c >> 8
    buf[off + (CHECKSUM + 1)] = c & 0xFF
