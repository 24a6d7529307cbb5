# IP address helpers. Addresses are bytes-like of length 4 (IPv4) or 16
# (IPv6), never ints: on 32-bit MicroPython an IPv4 address as an int would
# be a heap object. parse*/fmt allocate and are for configuration and display;
# the in-place helpers (same_prefix, is_*4) are for the packet path. IPv6
# text (parse6, fmt6) is in ipaddr6.py, part of the ipv6 option.

ANY4 = b"\x00\x00\x00\x00"
BROADCAST4 = b"\xff\xff\xff\xff"


def parse4(s):
    parts = s.split(".")
    if len(parts) != 4:
        raise ValueError("bad IPv4 address: %s" % s)
    out = bytearray(4)
    for i in range(4):
        p = parts[i]
        if not p or len(p) > 3 or not p.isdigit():
            raise ValueError("bad IPv4 address: %s" % s)
        v = int(p)
        if v > 255:
            raise ValueError("bad IPv4 address: %s" % s)
        out[i] = v
    return bytes(out)


def parse_cidr4(s):
    """'192.0.2.1/24' -> (addr bytes, prefix length); no suffix means /32."""
    if "/" in s:
        a, p = s.split("/")
        plen = int(p)
        if not 0 <= plen <= 32:
            raise ValueError("bad prefix length: %s" % s)
        return parse4(a), plen
    return parse4(s), 32


def fmt4(buf, off=0):
    return "%d.%d.%d.%d" % (buf[off], buf[off + 1], buf[off + 2], buf[off + 3])


def parse(s):
    """Parse an IPv4 or IPv6 literal to bytes."""
    if ":" in s:
        return parse6(s)
    return parse4(s)


def fmt(addr, off=0, alen=None):
    if alen is None:
        alen = len(addr) - off
    if alen == 4:
        return fmt4(addr, off)
    return fmt6(addr, off)


def _v6():
    # IPv6 text is the ipv6 option's (wire/ipaddr6.py): without it, asking
    # names the option (firmware/manifest.py)
    try:
        from . import ipaddr6
    except ImportError:
        raise _no_v6()
    return ipaddr6


def _no_v6():
    # (apart from _v6: the call would take its frame past 11 words)
    from .. import left_out
    return ValueError(left_out("IPv6 address: ", "wire.ipaddr6", "ipv6"))


def parse6(s):
    return _v6().parse6(s, parse4)


def fmt6(buf, off=0):
    return _v6().fmt6(buf, off)


def same_prefix(a, aoff, b, boff, plen):
    """True if the first plen bits of a[aoff:] and b[boff:] agree."""
    i = 0
    while plen >= 8:
        if a[aoff + i] != b[boff + i]:
            return False
        i += 1
        plen -= 8
    if plen:
        mask = (0xFF << (8 - plen)) & 0xFF
        return (a[aoff + i] & mask) == (b[boff + i] & mask)
    return True


def is_unspecified4(buf, off):
    return buf[off] == 0 and buf[off + 1] == 0 and buf[off + 2] == 0 and buf[off + 3] == 0


def is_broadcast4(buf, off):
    return buf[off] == 255 and buf[off + 1] == 255 and buf[off + 2] == 255 and buf[off + 3] == 255


def is_multicast4(buf, off):
    return buf[off] & 0xF0 == 0xE0  # 224.0.0.0/4


def is_subnet_broadcast4(buf, off, net, noff, plen):
    """buf[off:] is the directed broadcast address of net/plen (RFC 919)."""
    if plen >= 31:  # RFC 3021: /31 and /32 have no broadcast address
        return False
    # one pass, no call (same_prefix's would take the frame past the 11
    # words a frame keeps on the C stack): the network's whole bytes as
    # net's, then in each byte its host bits (m) all ones and the rest as net's
    i = 0
    while i < 4:
        m = 0 if plen >= 8 else 0xFF >> plen
        if buf[off + i] & m != m or (buf[off + i] ^ net[noff + i]) | m != m:
            return False
        plen = plen - 8 if plen > 8 else 0
        i += 1
    return True
