# The Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-headers
# (RFC 768, RFC 9293 3.1, RFC 8200 8.1). Sums are folded 16-bit one's-
# complement values; a checksum field holds ~sum & 0xFFFF.
from ..fast import sum16


def pseudo4(src, soff, dst, doff, proto, length):
    """Folded sum of the IPv4 pseudo-header."""
    s = sum16(src, soff, 4, 0)
    s = sum16(dst, doff, 4, s)
    s += proto + length
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def pseudo6(src, soff, dst, doff, proto, length):
    """Folded sum of the IPv6 pseudo-header (upper-layer length < 2**16 here)."""
    s = sum16(src, soff, 16, 0)
    s = sum16(dst, doff, 16, s)
    s += proto + length
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def pseudo(src, soff, dst, doff, alen, proto, length):
    if alen == 4:
        return pseudo4(src, soff, dst, doff, proto, length)
    return pseudo6(src, soff, dst, doff, proto, length)


def finish(s):
    """Checksum field value for a folded sum."""
    return ~s & 0xFFFF


def put(buf, off, value):
    buf[off] = value >> 8
    buf[off + 1] = value & 0xFF


def verify(buf, off, n, initial):
    """True if the data (with its checksum field in place) sums to 0xFFFF."""
    return sum16(buf, off, n, initial) == 0xFFFF
