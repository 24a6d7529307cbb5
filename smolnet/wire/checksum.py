# The Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-headers
# (RFC 768, RFC 9293 3.1, RFC 8200 8.1). Sums are folded 16-bit one's-
# complement values; a checksum field holds ~sum & 0xFFFF.
from ..fast import sum16, swap16


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


def sum_with_part(buf, off, n, initial, part_at, part_sum):
    """sum16(buf, off, n, initial) when the bytes from off + part_at to the
    end were summed already (part_sum, e.g. by fast.copy_sum16 while they
    were copied in): only the bytes before them are read. part_at < 0: no
    part, everything is summed here. An odd part_at is allowed (its sum is
    byte-swapped, RFC 1071 2(B))."""
    if part_at < 0:
        return sum16(buf, off, n, initial)
    s = sum16(buf, off, part_at, initial)
    s += swap16(part_sum) if part_at & 1 else part_sum
    return (s & 0xFFFF) + (s >> 16)


def finish(s):
    """Checksum field value for a folded sum."""
    return ~s & 0xFFFF


def put(buf, off, value):
    buf[off] = value >> 8
    buf[off + 1] = value & 0xFF


def verify(buf, off, n, initial):
    """True if the data (with its checksum field in place) sums to 0xFFFF."""
    return sum16(buf, off, n, initial) == 0xFFFF
