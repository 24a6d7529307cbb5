# Multicast Listener Discovery messages, ICMPv6 bodies: MLDv1 (RFC 2710)
# and MLDv2 (RFC 3810). Plain functions over (buf, off), offsets from the
# start of the ICMPv6 message; the checksum (with its pseudo-header) is
# icmpv6.py's. Nothing here allocates.
#
#   query (130)           type, code, checksum, max response code, reserved,
#                         multicast address (24 bytes: MLDv1); MLDv2 adds
#                         resv/S/QRV, QQIC, number of sources, the sources
#                         (RFC 3810 5.1)
#   v1 report (131),      type, code, checksum, max response delay (0),
#   done (132)            reserved, multicast address (RFC 2710 3)
#   v2 report (143)       type, reserved, checksum, reserved, number of
#                         records, then the records: record type, aux data
#                         length, number of sources, multicast address,
#                         sources, aux data (RFC 3810 5.2)
from micropython import const
from ..fast import copy, fill

TYPE_QUERY = const(130)
TYPE_V1_REPORT = const(131)
TYPE_V1_DONE = const(132)
TYPE_V2_REPORT = const(143)

# multicast address record types (RFC 3810 5.2.12)
MODE_IS_INCLUDE = const(1)
MODE_IS_EXCLUDE = const(2)
CHANGE_TO_INCLUDE = const(3)
CHANGE_TO_EXCLUDE = const(4)
ALLOW_NEW_SOURCES = const(5)
BLOCK_OLD_SOURCES = const(6)

V1_LEN = const(24)          # a v1 query, report or done
V2_QUERY_LEN = const(28)    # a v2 query without sources
REPORT_LEN = const(8)       # a v2 report's header
RECORD_LEN = const(20)      # a record without sources or aux data

_TYPE = const(0)
_CODE = const(1)
_CHECKSUM = const(2)
_MAX_RESP = const(4)
_RESERVED = const(6)
GROUP = const(8)            # query, v1 report and done
_S_QRV = const(24)
_QQIC = const(25)
_NSRC = const(26)
SOURCES = const(28)
_NREC = const(6)
RECORDS = const(8)
# in a multicast address record
_R_TYPE = const(0)
_R_AUX = const(1)
_R_NSRC = const(2)
R_GROUP = const(4)
R_SOURCES = const(20)


# --- queries ------------------------------------------------------------------
def query_version(buf, off, n):
    """1 or 2 for a query of n bytes, 0 if it is neither (RFC 3810 8.1:
    exactly 24 bytes is MLDv1, 28 or more MLDv2; any other length, e.g. 26,
    is ignored). A v2 query must also hold the sources it announces
    (5.1.10); bytes past them are ignored."""
    if n == V1_LEN:
        return 1
    if n >= V2_QUERY_LEN and n >= V2_QUERY_LEN + 16 * num_sources(buf, off):
        return 2
    return 0


def max_resp_code(buf, off):
    return (buf[off + _MAX_RESP] << 8) | buf[off + _MAX_RESP + 1]


def decode_max_resp(code):
    """Maximum Response Delay in ms from a v2 Maximum Response Code
    (RFC 3810 5.1.3): below 32768 the value itself, else the float
    1|exp(3)|mant(12) meaning (mant | 0x1000) << (exp + 3), at most
    8387584 (a small int on every port). An MLDv1 query's field is plain
    milliseconds: read it without decoding."""
    if code < 0x8000:
        return code
    return ((code & 0x0FFF) | 0x1000) << (((code >> 12) & 7) + 3)


def encode_max_resp(ms):
    """The code for a delay (the inverse of decode_max_resp; delays that
    need the float form lose their low bits, rounding down; past 8387584
    clamps)."""
    if ms < 0x8000:
        return ms
    if ms > 0x7FFC00:
        ms = 0x7FFC00
    exp = 0
    while (ms >> (exp + 3)) > 0x1FFF:
        exp += 1
    return 0x8000 | (exp << 12) | ((ms >> (exp + 3)) & 0x0FFF)


def group_is_unspecified(buf, off):
    """A general query (multicast address ::, RFC 3810 5.1.5)."""
    g = off + GROUP
    for i in range(16):
        if buf[g + i]:
            return False
    return True


def s_flag(buf, off):
    """Suppress Router-Side Processing (RFC 3810 5.1.7); routers' business."""
    return (buf[off + _S_QRV] >> 3) & 1


def qrv(buf, off):
    """Querier's Robustness Variable (RFC 3810 5.1.8); 0 means over 7."""
    return buf[off + _S_QRV] & 7


def qqic(buf, off):
    return buf[off + _QQIC]


def decode_qqic(code):
    """Querier's Query Interval in seconds (RFC 3810 5.1.9): below 128 the
    value itself, else the float 1|exp(3)|mant(4) meaning
    (mant | 0x10) << (exp + 3), at most 31744."""
    if code < 128:
        return code
    return ((code & 0x0F) | 0x10) << (((code >> 4) & 7) + 3)


def encode_qqic(seconds):
    """The code for a query interval (rounding down, clamped at 31744)."""
    if seconds < 128:
        return seconds
    if seconds > 31744:
        seconds = 31744
    exp = 0
    while (seconds >> (exp + 3)) > 0x1F:
        exp += 1
    return 0x80 | (exp << 4) | ((seconds >> (exp + 3)) & 0x0F)


def num_sources(buf, off):
    return (buf[off + _NSRC] << 8) | buf[off + _NSRC + 1]


def emit_query_v1(buf, off, max_delay_ms, group, goff):
    """An MLDv1 query (24 bytes; group None: a general query). The
    checksum is left for the caller. Returns the length."""
    _head(buf, off, TYPE_QUERY, max_delay_ms)
    _group(buf, off + GROUP, group, goff)
    return V1_LEN


def emit_query_v2(buf, off, code, group, goff, s, qrv_, qqic_, srcs=None, soff=0, nsrc=0):
    """An MLDv2 query with nsrc sources taken from srcs[soff:] (group None:
    a general query). The checksum is left for the caller. Returns the
    length."""
    _head(buf, off, TYPE_QUERY, code)
    _group(buf, off + GROUP, group, goff)
    buf[off + _S_QRV] = (8 if s else 0) | (qrv_ & 7)
    buf[off + _QQIC] = qqic_
    buf[off + _NSRC] = nsrc >> 8
    buf[off + _NSRC + 1] = nsrc & 0xFF
    if nsrc:
        copy(buf, off + SOURCES, srcs, soff, 16 * nsrc)
    return V2_QUERY_LEN + 16 * nsrc


# --- MLDv1 reports and done ---------------------------------------------------
def emit_v1(buf, off, t, group, goff):
    """An MLDv1 report (TYPE_V1_REPORT) or done (TYPE_V1_DONE) for group:
    max response delay and reserved 0 (RFC 2710 3.4, 3.5). The checksum is
    left for the caller. Returns the length."""
    _head(buf, off, t, 0)
    _group(buf, off + GROUP, group, goff)
    return V1_LEN


# --- MLDv2 reports ------------------------------------------------------------
def emit_report_header(buf, off, nrec):
    """The 8-byte header of a v2 report of nrec records (reserved fields 0,
    checksum 0 for the caller to fill). Returns its length."""
    _head(buf, off, TYPE_V2_REPORT, 0)
    buf[off + _NREC] = nrec >> 8
    buf[off + _NREC + 1] = nrec & 0xFF
    return REPORT_LEN


def emit_record(buf, off, rtype, group, goff):
    """A record without sources or aux data (all a host without source
    filters sends, RFC 3810 5.2.4-5.2.6). Returns its length."""
    buf[off + _R_TYPE] = rtype
    buf[off + _R_AUX] = 0
    buf[off + _R_NSRC] = 0
    buf[off + _R_NSRC + 1] = 0
    copy(buf, off + R_GROUP, group, goff, 16)
    return RECORD_LEN


def num_records(buf, off):
    return (buf[off + _NREC] << 8) | buf[off + _NREC + 1]


def record_type(buf, roff):
    return buf[roff + _R_TYPE]


def record_num_sources(buf, roff):
    return (buf[roff + _R_NSRC] << 8) | buf[roff + _R_NSRC + 1]


def record_len(buf, roff):
    """Length of the record at roff: its sources and its aux data (in
    32-bit words, RFC 3810 5.2.6) included."""
    return RECORD_LEN + 16 * record_num_sources(buf, roff) + 4 * buf[roff + _R_AUX]


def report_check(buf, off, n):
    """A v2 report of n bytes whose records all fit in it (RFC 3810 5.2)."""
    if n < REPORT_LEN:
        return False
    p = off + REPORT_LEN
    end = off + n
    for _ in range(num_records(buf, off)):
        if p + RECORD_LEN > end:
            return False
        p += record_len(buf, p)
    return p <= end


# --- shared -------------------------------------------------------------------
def msg_type(buf, off):
    return buf[off + _TYPE]


def _head(buf, off, t, word):
    buf[off + _TYPE] = t
    buf[off + _CODE] = 0
    buf[off + _CHECKSUM] = 0
    buf[off + _CHECKSUM + 1] = 0
    buf[off + _MAX_RESP] = word >> 8
    buf[off + _MAX_RESP + 1] = word & 0xFF
    buf[off + _RESERVED] = 0
    buf[off + _RESERVED + 1] = 0


def _group(buf, off, group, goff):
    if group is None:
        fill(buf, off, 16, 0)
    else:
        copy(buf, off, group, goff, 16)
