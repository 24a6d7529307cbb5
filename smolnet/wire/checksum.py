# The Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-headers
# (RFC 768, RFC 9293 3.1, RFC 8200 8.1). Sums are folded 16-bit one's-
# complement values; a checksum field holds ~sum & 0xFFFF. Part of the ipv6
# option (firmware/smolnet_files.py): ND and MLD use it, the IPv4 paths sum
# their headers themselves.
from ..fast import sum16, swap16


def pseudo4(src, soff, dst, doff, proto, length):
    """Folded sum of the IPv4 pseudo-header."""
    # (no locals: six arguments and sum16's five words are the 11 a frame
    # keeps on the C stack, tools/frame_sizes.py; the same for the others)
    proto += length
    proto = (proto & 0xFFFF) + (proto >> 16)    # sum16 takes a 16-bit start
    proto = sum16(src, soff, 4, proto)
    return sum16(dst, doff, 4, proto)


def pseudo6(src, soff, dst, doff, proto, length):
    """Folded sum of the IPv6 pseudo-header (upper-layer length < 2**16 here)."""
    proto += length
    proto = (proto & 0xFFFF) + (proto >> 16)
    proto = sum16(src, soff, 16, proto)
    return sum16(dst, doff, 16, proto)


def pseudo(src, soff, dst, doff, alen, proto, length):
    # seven arguments: a frame of 12 words, one past the C stack's 11 (no
    # way under with sum16's five); the Interface's receive path sums the
    # header's addresses itself (one run: src, then dst)
    proto += length
    proto = (proto & 0xFFFF) + (proto >> 16)
    proto = sum16(src, soff, alen, proto)
    return sum16(dst, doff, alen, proto)


def sum_with_part(buf, off, n, initial, part_at, part_sum):
    """sum16(buf, off, n, initial) when the bytes from off + part_at to the
    end were summed already (part_sum, e.g. by fast.copy_sum16 while they
    were copied in): only the bytes before them are read. part_at < 0: no
    part, everything is summed here. An odd part_at is allowed (its sum is
    byte-swapped, RFC 1071 2(B))."""
    if part_at < 0:
        return sum16(buf, off, n, initial)
    # the part first (one's complement addition is commutative), folded to
    # the 16 bits sum16 starts from; no locals, as above
    initial += swap16(part_sum) if part_at & 1 else part_sum
    initial = (initial & 0xFFFF) + (initial >> 16)
    return sum16(buf, off, part_at, initial)


def finish(s):
    """Checksum field value for a folded sum."""
    return ~s & 0xFFFF


def put(buf, off, value):
    buf[off] = value >> 8
    buf[off + 1] = value & 0xFF


def verify(buf, off, n, initial):
    """True if the data (with its checksum field in place) sums to 0xFFFF."""
    return sum16(buf, off, n, initial) == 0xFFFF
