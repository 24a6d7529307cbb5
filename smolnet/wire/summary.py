# One-line human summaries of frames, like tcpdump's (allocates: for tracing
# and tools, never on the packet path).
from . import ethernet, arp, ipv4, icmpv4, udp, ipaddr


def _tcp_flags(f):
    s = ""
    for bit, ch in ((0x02, "S"), (0x10, "."), (0x01, "F"), (0x04, "R"), (0x08, "P"), (0x20, "U")):
        if f & bit:
            s += ch
    return s or "none"


def ipv4_summary(b, off, n):
    if ipv4.check(b, off, n) != ipv4.OK:
        return "IPv4 (malformed, %d bytes)" % n
    hl = ipv4.header_len(b, off)
    src = ipaddr.fmt4(b, off + ipv4.SRC)
    dst = ipaddr.fmt4(b, off + ipv4.DST)
    p = ipv4.protocol(b, off)
    l4 = off + hl
    l4len = ipv4.total_len(b, off) - hl
    if ipv4.is_fragment(b, off):
        return "IP %s > %s: fragment offset %d, %d bytes" % (src, dst, ipv4.frag_offset(b, off), l4len)
    if p == 1 and l4len >= 8:
        t = icmpv4.msg_type(b, l4)
        names = {0: "echo reply", 8: "echo request", 3: "destination unreachable", 11: "time exceeded"}
        extra = ""
        if t in (0, 8):
            extra = ", id %d, seq %d" % (icmpv4.ident(b, l4), icmpv4.seq(b, l4))
        elif t == 3:
            extra = " code %d" % icmpv4.code(b, l4)
        return "IP %s > %s: ICMP %s%s, length %d" % (src, dst, names.get(t, "type %d" % t), extra, l4len)
    if p == 17 and l4len >= 8:
        return "IP %s.%d > %s.%d: UDP, length %d" % (
            src, udp.src_port(b, l4), dst, udp.dst_port(b, l4), udp.length(b, l4) - 8)
    if p == 6 and l4len >= 20:
        sp = (b[l4] << 8) | b[l4 + 1]
        dp = (b[l4 + 2] << 8) | b[l4 + 3]
        seq = (b[l4 + 4] << 24) | (b[l4 + 5] << 16) | (b[l4 + 6] << 8) | b[l4 + 7]
        ack = (b[l4 + 8] << 24) | (b[l4 + 9] << 16) | (b[l4 + 10] << 8) | b[l4 + 11]
        win = (b[l4 + 14] << 8) | b[l4 + 15]
        dlen = l4len - (b[l4 + 12] >> 4) * 4
        return "IP %s.%d > %s.%d: Flags [%s], seq %d, ack %d, win %d, length %d" % (
            src, sp, dst, dp, _tcp_flags(b[l4 + 13]), seq, ack, win, dlen)
    return "IP %s > %s: proto %d, length %d" % (src, dst, p, l4len)


def frame_summary(b, n, ethernet_medium=True):
    if not ethernet_medium:
        if n and b[0] >> 4 == 4:
            return ipv4_summary(b, 0, n)
        return "IP packet (%d bytes)" % n
    if n < 14:
        return "runt frame (%d bytes)" % n
    head = "%s > %s, " % (fmt_mac(b, 6), fmt_mac(b, 0))
    et = ethernet.ethertype(b, 0)
    if et == ethernet.ETHERTYPE_ARP:
        if not arp.check(b, 14, n - 14):
            return head + "ARP (malformed)"
        if arp.operation(b, 14) == arp.OP_REQUEST:
            return head + "ARP, Request who-has %s tell %s" % (
                ipaddr.fmt4(b, 14 + arp.TPA), ipaddr.fmt4(b, 14 + arp.SPA))
        return head + "ARP, Reply %s is-at %s" % (
            ipaddr.fmt4(b, 14 + arp.SPA), fmt_mac(b, 14 + arp.SHA))
    if et == ethernet.ETHERTYPE_IPV4:
        return head + ipv4_summary(b, 14, n - 14)
    if et == ethernet.ETHERTYPE_IPV6:
        return head + "IPv6, length %d" % (n - 14)
    return head + "ethertype 0x%04x, length %d" % (et, n)


def fmt_mac(mac, off=0):
    return ":".join("%02x" % mac[off + i] for i in range(6))
