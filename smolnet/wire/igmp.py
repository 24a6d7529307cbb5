# IGMP, the IPv4 group membership protocol: IGMPv3 (RFC 3376) and the
# IGMPv2 (RFC 2236) and IGMPv1 (RFC 1112 appendix I) messages an IGMPv3
# host still sends and hears (RFC 3376 7). Plain functions over (buf, off);
# the checksum covers the whole IGMP message (RFC 3376 4.1.2, 4.2.2).
#
#   query (all versions)  type, max resp code, checksum, group address;
#                         IGMPv3 adds resv/S/QRV, QQIC, number of sources
#                         and the sources (RFC 3376 4.1)
#   v1/v2 report, leave   type, max resp time (0), checksum, group (8 bytes)
#   v3 report             type, reserved, checksum, reserved, number of
#                         group records, then the records: record type, aux
#                         data length, number of sources, group, sources,
#                         aux data (RFC 3376 4.2)
from micropython import const
from ..fast import sum16
from . import ipv4

# copies of smolnet/wire/ipv4.py's offsets (_IP_HLEN is HEADER_LEN there)
_VER_IHL = const(0)
_TOS = const(1)
_IP_HLEN = const(20)

TOS_INTERNETWORK_CONTROL = const(0xC0)  # precedence 6 (RFC 791 3.1): IGMP's, as Linux's

TYPE_QUERY = const(0x11)
TYPE_V1_REPORT = const(0x12)
TYPE_V2_REPORT = const(0x16)
TYPE_V2_LEAVE = const(0x17)
TYPE_V3_REPORT = const(0x22)

# group record types (RFC 3376 4.2.12)
MODE_IS_INCLUDE = const(1)
MODE_IS_EXCLUDE = const(2)
CHANGE_TO_INCLUDE = const(3)
CHANGE_TO_EXCLUDE = const(4)
ALLOW_NEW_SOURCES = const(5)
BLOCK_OLD_SOURCES = const(6)

LEN = const(8)              # a v1/v2 message, and the fixed part of a query
V3_QUERY_LEN = const(12)    # a v3 query without sources
V3_REPORT_LEN = const(8)    # a v3 report's header
RECORD_LEN = const(8)       # a group record without sources or aux data

_TYPE = const(0)
_CODE = const(1)
_CHECKSUM = const(2)
GROUP = const(4)
_S_QRV = const(8)
_QQIC = const(9)
_NSRC = const(10)
SOURCES = const(12)
_NREC = const(6)
RECORDS = const(8)
# in a group record
_R_TYPE = const(0)
_R_AUX = const(1)
_R_NSRC = const(2)
R_GROUP = const(4)


def check(buf, off, n):
    """A message of n bytes long enough for its fixed part with a good
    checksum. Bytes past what the type needs are summed too (RFC 3376
    4.1.10) and otherwise ignored."""
    return n >= LEN and sum16(buf, off, n, 0) == 0xFFFF


def msg_type(buf, off):
    return buf[off + _TYPE]


def max_resp_code(buf, off):
    return buf[off + _CODE]


def group_is_zero(buf, off):
    """A general query (group 0.0.0.0)."""
    g = off + GROUP
    return buf[g] == 0 and buf[g + 1] == 0 and buf[g + 2] == 0 and buf[g + 3] == 0


def query_version(buf, off, n):
    """1, 2 or 3 for a query of n bytes, 0 if it is none of them
    (RFC 3376 7.1: 8 bytes and code 0 is IGMPv1, 8 bytes and a code is
    IGMPv2, 12 or more is IGMPv3; other lengths, e.g. 10, are ignored).
    A v3 query must also hold the sources it announces (4.1.8)."""
    if n == LEN:
        return 2 if buf[off + _CODE] else 1
    if n >= V3_QUERY_LEN and n >= V3_QUERY_LEN + 4 * num_sources(buf, off):
        return 3
    return 0


def s_flag(buf, off):
    """Suppress Router-Side Processing (RFC 3376 4.1.5); routers' business."""
    return (buf[off + _S_QRV] >> 3) & 1


def qrv(buf, off):
    """Querier's Robustness Variable (RFC 3376 4.1.6), 0 if over 7."""
    return buf[off + _S_QRV] & 7


def qqic(buf, off):
    return buf[off + _QQIC]


def num_sources(buf, off):
    return (buf[off + _NSRC] << 8) | buf[off + _NSRC + 1]


def decode_code(code):
    """Max Resp Code (units of 1/10 s) or QQIC (units of 1 s) to its value
    (RFC 3376 4.1.1, 4.1.7): below 128 the value itself, else the float
    1|exp(3)|mant(4) meaning (mant | 0x10) << (exp + 3). At most 31744."""
    if code < 128:
        return code
    return ((code & 0x0F) | 0x10) << (((code >> 4) & 7) + 3)


def encode_code(value):
    """The code for a value (the inverse of decode_code; values that need
    the float form lose their low bits, rounding down; over 31744 clamps)."""
    if value < 128:
        return value
    if value > 31744:
        value = 31744
    exp = 0
    while value >> (exp + 3) > 0x1F:
        exp += 1
    return 0x80 | (exp << 4) | ((value >> (exp + 3)) & 0x0F)


def fill_checksum(buf, off, n):
    buf[off + _CHECKSUM] = 0
    buf[off + _CHECKSUM + 1] = 0
    c = ~sum16(buf, off, n, 0) & 0xFFFF
    buf[off + _CHECKSUM] = c >> 8
    buf[off + _CHECKSUM + 1] = c & 0xFF


def _put4(buf, off, src, soff):
    buf[off] = src[soff]
    buf[off + 1] = src[soff + 1]
    buf[off + 2] = src[soff + 2]
    buf[off + 3] = src[soff + 3]


def emit_v2(buf, off, t, group, goff):
    """A v2 Membership Report (TYPE_V2_REPORT), Leave Group (TYPE_V2_LEAVE)
    or v1 report (TYPE_V1_REPORT): 8 bytes, checksum filled, code 0
    (RFC 2236 2.2: unused in reports). Returns 8."""
    buf[off + _TYPE] = t
    buf[off + _CODE] = 0
    _put4(buf, off + GROUP, group, goff)
    fill_checksum(buf, off, LEN)
    return LEN


def emit_v1_report(buf, off, group, goff):
    """An IGMPv1 Host Membership Report (RFC 1112 appendix I). Returns 8."""
    return emit_v2(buf, off, TYPE_V1_REPORT, group, goff)


def emit_v3_report_header(buf, off, nrec):
    """The 8-byte header of a v3 report of nrec group records (written
    after it, e.g. with emit_record); checksum not filled: call
    fill_checksum(buf, off, total) once the records are in."""
    buf[off + _TYPE] = TYPE_V3_REPORT
    buf[off + 1] = 0
    buf[off + 4] = 0
    buf[off + 5] = 0
    buf[off + _NREC] = nrec >> 8
    buf[off + _NREC + 1] = nrec & 0xFF
    return V3_REPORT_LEN


def emit_record(buf, off, rtype, group, goff):
    """A group record without sources or aux data. Returns 8."""
    buf[off + _R_TYPE] = rtype
    buf[off + _R_AUX] = 0
    buf[off + _R_NSRC] = 0
    buf[off + _R_NSRC + 1] = 0
    _put4(buf, off + R_GROUP, group, goff)
    return RECORD_LEN


def emit_v3_report(buf, off, rtype, groups, goff, ngroups):
    """A whole v3 report of ngroups records of one type, for the groups at
    groups[goff], groups[goff + 4], ... (4 bytes each). Returns its length."""
    emit_v3_report_header(buf, off, ngroups)
    p = off + V3_REPORT_LEN
    for i in range(ngroups):
        p += emit_record(buf, p, rtype, groups, goff + 4 * i)
    fill_checksum(buf, off, p - off)
    return p - off


def num_records(buf, off):
    return (buf[off + _NREC] << 8) | buf[off + _NREC + 1]


def record_type(buf, roff):
    return buf[roff + _R_TYPE]


def record_sources(buf, roff):
    return (buf[roff + _R_NSRC] << 8) | buf[roff + _R_NSRC + 1]


def record_len(buf, roff):
    """Bytes of the record at roff: fixed part, sources, aux data (in
    32-bit words, RFC 3376 4.2.6)."""
    return RECORD_LEN + 4 * record_sources(buf, roff) + 4 * buf[roff + _R_AUX]


def emit_query(buf, off, code, group, goff):
    """An IGMPv2 query (an IGMPv1 one with code 0): 8 bytes; group 0.0.0.0
    for a general query. Returns 8. (Hosts never query; tests and tools do.)"""
    buf[off + _TYPE] = TYPE_QUERY
    buf[off + _CODE] = code
    _put4(buf, off + GROUP, group, goff)
    fill_checksum(buf, off, LEN)
    return LEN


def emit_v3_query(buf, off, code, group, goff, s, qrv_, qqic_, sources, soff, nsrc):
    """An IGMPv3 query with nsrc sources from sources[soff:]. Returns its
    length (12 + 4 * nsrc)."""
    buf[off + _TYPE] = TYPE_QUERY
    buf[off + _CODE] = code
    _put4(buf, off + GROUP, group, goff)
    buf[off + _S_QRV] = (8 if s else 0) | (qrv_ & 7)
    buf[off + _QQIC] = qqic_
    buf[off + _NSRC] = nsrc >> 8
    buf[off + _NSRC + 1] = nsrc & 0xFF
    for i in range(nsrc):
        _put4(buf, off + SOURCES + 4 * i, sources, soff + 4 * i)
    n = V3_QUERY_LEN + 4 * nsrc
    fill_checksum(buf, off, n)
    return n


def emit_router_alert(buf, off, src, soff, dst, doff, proto, payload_len, ttl_, ident_, tos):
    """Write a 24-byte header carrying the Router Alert option (RFC 2113:
    type 148, length 4, value 0 "routers shall examine"), DF set, with its
    checksum. For IGMP (RFC 3376 4), which Linux also sends with tos 0xc0."""
    # emit's fixed fields, the 4 option bytes counted in the total length;
    # then the longer IHL, the TOS and the option (not fill_header's job:
    # it is on every packet's path, this on a few reports a minute). Here,
    # not in ipv4.py: only IGMP sends it
    ipv4.emit(buf, off, src, soff, dst, doff, proto, payload_len + 4, ttl_, ident_, True)
    buf[off + _VER_IHL] = 0x46
    buf[off + _TOS] = tos
    buf[off + _IP_HLEN] = 0x94
    buf[off + (_IP_HLEN + 1)] = 4
    buf[off + (_IP_HLEN + 2)] = 0
    buf[off + (_IP_HLEN + 3)] = 0
    ipv4.fill_checksum(buf, off)
