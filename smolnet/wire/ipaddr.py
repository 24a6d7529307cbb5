# IP address helpers. Addresses are bytes-like of length 4 (IPv4) or 16
# (IPv6), never ints: on 32-bit MicroPython an IPv4 address as an int would
# be a heap object. parse*/fmt allocate and are for configuration and display;
# the in-place helpers (same_prefix, is_*4) are for the packet path.

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


def parse6(s):
    if s.count("::") > 1:
        raise ValueError("bad IPv6 address: %s" % s)
    tail4 = None
    if "." in s:  # embedded IPv4 in the last 32 bits
        i = s.rfind(":")
        tail4 = parse4(s[i + 1:])
        s = s[:i + 1] + "0:0"
    if "::" in s:
        head, tail = s.split("::")
        h = head.split(":") if head else []
        t = tail.split(":") if tail else []
        if len(h) + len(t) > 7:
            raise ValueError("bad IPv6 address")
        groups = h + ["0"] * (8 - len(h) - len(t)) + t
    else:
        groups = s.split(":")
    if len(groups) != 8:
        raise ValueError("bad IPv6 address")
    out = bytearray(16)
    for i in range(8):
        g = groups[i]
        if not g or len(g) > 4:
            raise ValueError("bad IPv6 address")
        v = int(g, 16)
        out[2 * i] = v >> 8
        out[2 * i + 1] = v & 0xFF
    if tail4 is not None:
        out[12:16] = tail4
    return bytes(out)


def fmt6(buf, off=0):
    # RFC 5952: lower case, longest run (>1) of zero groups as "::"
    g = [(buf[off + 2 * i] << 8) | buf[off + 2 * i + 1] for i in range(8)]
    best, best_len, i = -1, 1, 0
    while i < 8:
        if g[i] == 0:
            j = i
            while j < 8 and g[j] == 0:
                j += 1
            if j - i > best_len:
                best, best_len = i, j - i
            i = j
        else:
            i += 1
    if best < 0:
        return ":".join("%x" % x for x in g)
    head = ":".join("%x" % x for x in g[:best])
    tail = ":".join("%x" % x for x in g[best + best_len:])
    return head + "::" + tail


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
