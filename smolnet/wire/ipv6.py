# IPv6 header (RFC 8200 3), the extension headers a host must walk
# (RFC 8200 4), and in-place predicates on 16-byte addresses (RFC 4291).
# Like ipv4.py: plain functions over (buf, off), nothing allocates except
# parse_cidr6 (configuration only).
from micropython import const
from ..fast import copy, equal
from . import ipaddr

HEADER_LEN = const(40)
_VER_TC = const(0)
_PAYLOAD_LEN = const(4)
NEXT_HEADER = const(6)
_HOP_LIMIT = const(7)
SRC = const(8)
DST = const(24)

# next header values (IANA "Assigned Internet Protocol Numbers")
NH_HOPOPT = const(0)
NH_TCP = const(6)
NH_UDP = const(17)
NH_ROUTING = const(43)
NH_FRAGMENT = const(44)
NH_ICMPV6 = const(58)
NH_NONE = const(59)
NH_DSTOPTS = const(60)

MIN_MTU = const(1280)  # RFC 8200 5: every link carries 1280-byte packets

# check() results, as in ipv4.py
OK = const(0)
ERR_SHORT = const(1)
ERR_VERSION = const(2)
ERR_LENGTH = const(3)


def check(buf, off, n):
    """Validate the fixed header of a packet of n bytes at off (n may
    include link-layer padding past the payload). No checksum: RFC 8200
    leaves that to the upper layers."""
    if n < HEADER_LEN:
        return ERR_SHORT
    if buf[off + _VER_TC] >> 4 != 6:
        return ERR_VERSION
    # payload length 0 with a Jumbo option (RFC 2675) cannot happen on a
    # link with a 16-bit MTU: a plain length check covers it
    if HEADER_LEN + payload_len(buf, off) > n:
        return ERR_LENGTH
    return OK


def payload_len(buf, off):
    return (buf[off + _PAYLOAD_LEN] << 8) | buf[off + (_PAYLOAD_LEN + 1)]


def next_header(buf, off):
    return buf[off + NEXT_HEADER]


def hop_limit(buf, off):
    return buf[off + _HOP_LIMIT]


def emit(buf, off, src, soff, dst, doff, nh, plen, hlim):
    """Write a 40-byte header: traffic class and flow label 0 (RFC 6437
    allows a zero flow label from a host that does not label flows). Off
    the packet path (ND, MLD): nine arguments take a frame from the heap
    (tools/frame_sizes.py); the Interface calls fill_header."""
    copy(buf, off + SRC, src, soff, 16)
    copy(buf, off + DST, dst, doff, 16)
    fill_header(buf, off, nh, plen, hlim)


def fill_header(buf, off, nh, plen, hlim):
    """emit() around the addresses already at off + SRC and off + DST (the
    Interface copies them in, or swaps them for an answer in place), in
    five arguments: its frame and its callers' stay on the C stack."""
    buf[off] = 0x60
    buf[off + 1] = 0
    buf[off + 2] = 0
    buf[off + 3] = 0
    buf[off + _PAYLOAD_LEN] = plen >> 8
    buf[off + (_PAYLOAD_LEN + 1)] = plen & 0xFF
    buf[off + NEXT_HEADER] = nh
    buf[off + _HOP_LIMIT] = hlim


# --- extension headers (RFC 8200 4) ----------------------------------------
# Hop-by-Hop, Routing and Destination Options share the layout
# [next header][length in 8-octet units, not counting the first 8]...
EXT_LEN_UNIT = const(8)
_RH_TYPE = const(2)
_RH_SEGMENTS_LEFT = const(3)
FRAG_LEN = const(8)
_FRAG_OFF = const(2)

# what scan_options reports for an option it does not know (RFC 8200 4.2:
# the two high-order bits of the option type say what to do)
OPT_SKIP = const(0)        # 00: skip over it
OPT_DISCARD = const(1)     # 01: discard the packet quietly
OPT_ERROR = const(2)       # 10: discard, parameter problem code 2 even to multicast
OPT_ERROR_UNICAST = const(3)  # 11: discard, parameter problem code 2 unless multicast
OPT_BAD_LENGTH = const(4)  # an option runs past the end of its header

_OPT_PAD1 = const(0)
_OPT_PADN = const(1)
_OPT_ROUTER_ALERT = const(5)  # RFC 2711: harmless to a host, skip it


def ext_len(buf, off):
    """Length in bytes of a Hop-by-Hop/Routing/Destination header at off."""
    return (buf[off + 1] + 1) << 3


def routing_segments_left(buf, off):
    return buf[off + _RH_SEGMENTS_LEFT]


def routing_type_off():
    """Offset of the Routing Type field inside a Routing header: the pointer
    of the parameter problem RFC 8200 4.4 asks for."""
    return _RH_TYPE


def frag_is_atomic(buf, off):
    """Fragment offset 0 and M flag clear: the whole packet in one
    "fragment" (RFC 8200 4.5, RFC 6946: process it as if unfragmented)."""
    return buf[off + _FRAG_OFF] == 0 and buf[off + (_FRAG_OFF + 1)] & 0xF9 == 0


def scan_options(buf, off, hlen):
    """Walk the TLV options of a Hop-by-Hop or Destination Options header of
    hlen bytes at off. Returns OPT_SKIP if every option may be skipped; else
    (action << 16) | (offset of the option from off): the action is one of
    the OPT_* values above. Never reads past off + hlen."""
    p = off + 2
    end = off + hlen
    while p < end:
        t = buf[p]
        if t == _OPT_PAD1:
            p += 1
            continue
        if p + 2 > end or p + 2 + buf[p + 1] > end:
            return (OPT_BAD_LENGTH << 16) | (p - off)
        if t != _OPT_PADN and t != _OPT_ROUTER_ALERT:
            act = t >> 6
            if act != OPT_SKIP:
                return (act << 16) | (p - off)
        p += 2 + buf[p + 1]
    return OPT_SKIP


HBH_ROUTER_ALERT_LEN = const(8)
ROUTER_ALERT_MLD = const(0)   # RFC 2711 2.1: the datagram carries an MLD message


def emit_router_alert(buf, off, nh):
    """An 8-byte Hop-by-Hop Options header (RFC 8200 4.3) holding a Router
    Alert option (RFC 2711) with value 0, MLD, as RFC 3810 5 and RFC 2710
    3 ask of every MLD message, padded with a PadN of no data bytes; nh is
    the header that follows. Returns its length."""
    buf[off] = nh
    buf[off + 1] = 0              # (0 + 1) * 8 bytes
    buf[off + 2] = _OPT_ROUTER_ALERT
    buf[off + 3] = 2
    buf[off + 4] = ROUTER_ALERT_MLD >> 8
    buf[off + 5] = ROUTER_ALERT_MLD & 0xFF
    buf[off + 6] = _OPT_PADN
    buf[off + 7] = 0
    return HBH_ROUTER_ALERT_LEN


def router_alert(buf, off, hlen):
    """The value of the Router Alert option in the Hop-by-Hop header of
    hlen bytes at off, or -1 if it has none (or it is malformed)."""
    p = off + 2
    end = off + hlen
    while p < end:
        t = buf[p]
        if t == _OPT_PAD1:
            p += 1
            continue
        if p + 2 > end or p + 2 + buf[p + 1] > end:
            return -1
        if t == _OPT_ROUTER_ALERT and buf[p + 1] == 2:
            return (buf[p + 2] << 8) | buf[p + 3]
        p += 2 + buf[p + 1]
    return -1


# --- addresses (RFC 4291) ---------------------------------------------------
def is_unspecified(buf, off):
    for i in range(16):
        if buf[off + i]:
            return False
    return True


def is_loopback(buf, off):
    for i in range(15):
        if buf[off + i]:
            return False
    return buf[off + 15] == 1


def is_multicast(buf, off):
    return buf[off] == 0xFF


def multicast_scope(buf, off):
    """RFC 4291 2.7: 1 interface-local, 2 link-local, 5 site, 14 global."""
    return buf[off + 1] & 0x0F


def is_link_local(buf, off):
    """fe80::/10 unicast."""
    return buf[off] == 0xFE and buf[off + 1] & 0xC0 == 0x80


def is_all_nodes(buf, off):
    """ff02::1 (RFC 4291 2.7.1)."""
    if buf[off] != 0xFF or buf[off + 1] != 0x02 or buf[off + 15] != 1:
        return False
    for i in range(2, 15):
        if buf[off + i]:
            return False
    return True


def is_solicited_node_for(buf, off, addr, aoff):
    """buf[off:] is ff02::1:ffXX:XXXX for the low 24 bits of addr (RFC 4291 2.7.1)."""
    if buf[off] != 0xFF or buf[off + 1] != 0x02 or buf[off + 11] != 1 or buf[off + 12] != 0xFF:
        return False
    for i in range(2, 11):
        if buf[off + i]:
            return False
    return equal(buf, off + 13, addr, aoff + 13, 3)


def is_solicited_node(buf, off):
    """Any solicited-node group ff02::1:ff00:0/104."""
    if buf[off] != 0xFF or buf[off + 1] != 0x02 or buf[off + 11] != 1 or buf[off + 12] != 0xFF:
        return False
    for i in range(2, 11):
        if buf[off + i]:
            return False
    return True


def solicited_node(out, ooff, addr, aoff):
    """Write the solicited-node multicast address of addr."""
    for i in range(16):
        out[ooff + i] = 0
    out[ooff] = 0xFF
    out[ooff + 1] = 0x02
    out[ooff + 11] = 1
    out[ooff + 12] = 0xFF
    out[ooff + 13] = addr[aoff + 13]
    out[ooff + 14] = addr[aoff + 14]
    out[ooff + 15] = addr[aoff + 15]


def all_nodes(out, ooff):
    for i in range(16):
        out[ooff + i] = 0
    out[ooff] = 0xFF
    out[ooff + 1] = 0x02
    out[ooff + 15] = 1


def all_routers(out, ooff):
    """ff02::2 (RFC 4291 2.7.1): where router solicitations go."""
    all_nodes(out, ooff)
    out[ooff + 15] = 2


def interface_id_eui64(out, ooff, mac, moff):
    """The modified EUI-64 interface identifier of a 48-bit MAC into the
    low 8 bytes at out[ooff:] (RFC 4291 2.5.1 and appendix A): ff:fe in the
    middle, universal/local bit inverted."""
    out[ooff] = mac[moff] ^ 0x02
    out[ooff + 1] = mac[moff + 1]
    out[ooff + 2] = mac[moff + 2]
    out[ooff + 3] = 0xFF
    out[ooff + 4] = 0xFE
    out[ooff + 5] = mac[moff + 3]
    out[ooff + 6] = mac[moff + 4]
    out[ooff + 7] = mac[moff + 5]


def link_local_from_mac(out, ooff, mac, moff):
    """fe80::/64 + modified EUI-64 (RFC 4862 5.3, RFC 4291 2.5.6)."""
    for i in range(8):
        out[ooff + i] = 0
    out[ooff] = 0xFE
    out[ooff + 1] = 0x80
    interface_id_eui64(out, ooff + 8, mac, moff)


def parse_cidr6(s):
    """'2001:db8::2/64' -> (16 address bytes, prefix length); no suffix
    means /128. Allocates: configuration only."""
    if "/" in s:
        a, p = s.split("/")
        if not p.isdigit():
            raise ValueError("bad prefix length: %s" % s)
        plen = int(p)
        if plen > 128:
            raise ValueError("bad prefix length: %s" % s)
        return ipaddr.parse6(a), plen
    return ipaddr.parse6(s), 128


def multicast_mac(buf, off, addr, aoff):
    """The Ethernet address of an IPv6 group (RFC 2464 7): 33:33 + the low
    32 bits of the group address. (Here, not in ethernet.py: only IPv6
    needs it.)"""
    buf[off] = 0x33
    buf[off + 1] = 0x33
    for i in range(4):
        buf[off + 2 + i] = addr[aoff + 12 + i]
