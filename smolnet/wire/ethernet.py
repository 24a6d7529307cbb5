# Ethernet II frames (IEEE 802.3 framing with an EtherType; no FCS: devices
# strip and add it).
from micropython import const

HEADER_LEN = const(14)
DST = const(0)
SRC = const(6)
TYPE = const(12)

ETHERTYPE_IPV4 = const(0x0800)
ETHERTYPE_ARP = const(0x0806)
ETHERTYPE_IPV6 = const(0x86DD)

BROADCAST = b"\xff\xff\xff\xff\xff\xff"


def ethertype(buf, off):
    return (buf[off + TYPE] << 8) | buf[off + (TYPE + 1)]


def set_ethertype(buf, off, value):
    buf[off + TYPE] = value >> 8
    buf[off + (TYPE + 1)] = value & 0xFF


def put_mac(buf, off, mac, moff):
    for i in range(6):
        buf[off + i] = mac[moff + i]


def emit(buf, off, dst, dst_off, src, src_off, etype):
    put_mac(buf, off + DST, dst, dst_off)
    put_mac(buf, off + SRC, src, src_off)
    set_ethertype(buf, off, etype)


def is_broadcast(buf, off):
    for i in range(6):
        if buf[off + i] != 0xFF:
            return False
    return True


def ipv4_multicast_mac(buf, off, addr, aoff):
    """RFC 1112 6.4: 01:00:5e + low 23 bits of the group address."""
    buf[off] = 0x01
    buf[off + 1] = 0x00
    buf[off + 2] = 0x5E
    buf[off + 3] = addr[aoff + 1] & 0x7F
    buf[off + 4] = addr[aoff + 2]
    buf[off + 5] = addr[aoff + 3]


def parse_mac(s):
    parts = s.replace("-", ":").split(":")
    if len(parts) != 6:
        raise ValueError("bad MAC address: %s" % s)
    return bytes(int(p, 16) for p in parts)
