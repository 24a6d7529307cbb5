# ARP for IPv4 over Ethernet (RFC 826). Only hardware type 1 / protocol
# 0x0800 with 6/4-byte addresses is meaningful here; check() rejects the rest.
from micropython import const

LEN = const(28)
_HTYPE = const(0)
_PTYPE = const(2)
_HLEN = const(4)
_PLEN = const(5)
_OPER = const(6)
SHA = const(8)
SPA = const(14)
_THA = const(18)
TPA = const(24)

OP_REQUEST = const(1)
OP_REPLY = const(2)


def check(buf, off, n):
    """True if n bytes at off are an Ethernet/IPv4 ARP request or reply."""
    if n < LEN:
        return False
    if buf[off + _HTYPE] != 0 or buf[off + _HTYPE + 1] != 1:
        return False
    if buf[off + _PTYPE] != 0x08 or buf[off + _PTYPE + 1] != 0x00:
        return False
    if buf[off + _HLEN] != 6 or buf[off + _PLEN] != 4:
        return False
    op = operation(buf, off)
    return op == OP_REQUEST or op == OP_REPLY


def operation(buf, off):
    return (buf[off + _OPER] << 8) | buf[off + _OPER + 1]


def emit(buf, off, op, sha, sha_off, spa, spa_off, tha, tha_off, tpa, tpa_off):
    buf[off + _HTYPE] = 0
    buf[off + _HTYPE + 1] = 1
    buf[off + _PTYPE] = 0x08
    buf[off + _PTYPE + 1] = 0x00
    buf[off + _HLEN] = 6
    buf[off + _PLEN] = 4
    buf[off + _OPER] = 0
    buf[off + _OPER + 1] = op
    for i in range(6):
        buf[off + SHA + i] = sha[sha_off + i]
        buf[off + _THA + i] = tha[tha_off + i]
    for i in range(4):
        buf[off + SPA + i] = spa[spa_off + i]
        buf[off + TPA + i] = tpa[tpa_off + i]
