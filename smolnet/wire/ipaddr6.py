# IPv6 address text (RFC 4291 2.2, RFC 5952): part of the ipv6 option
# (firmware/smolnet_files.py); ipaddr.parse6/fmt6/parse/fmt come here. Both
# allocate: for configuration and display.


def parse6(s, parse4):
    """The 16 bytes of s; parse4: ipaddr's, for an embedded IPv4 tail
    (passed in: this module imports nothing back)."""
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
