# DHCPv4 messages (RFC 2131) and their options (RFC 2132), over (buf, off).
#
# A message is the fixed BOOTP header (RFC 951), the magic cookie and a list
# of options: code, length, value; pad (0) and end (255) have no length byte.
# Nothing here allocates: options are found by scanning in place and their
# values read at the offset find_option() returns.
from micropython import const
from ..fast import copy, equal, fill

# fixed header (RFC 2131 2, figure 1)
_OP = const(0)
_HTYPE = const(1)
_HLEN = const(2)
_HOPS = const(3)
_XID = const(4)
_SECS = const(8)
FLAGS = const(10)
_CIADDR = const(12)
_YIADDR = const(16)
_SIADDR = const(20)
_GIADDR = const(24)
_CHADDR = const(28)
_SNAME = const(44)
_SNAME_LEN = const(64)
_FILE = const(108)
_FILE_LEN = const(128)
_MAGIC = const(236)
OPTIONS = const(240)
HEADER_LEN = const(240)   # header and magic cookie: the shortest DHCP message
# RFC 1542 2.1: relay agents need not accept a BOOTP message under 300 bytes
_MIN_LEN = const(300)

OP_REQUEST = const(1)
OP_REPLY = const(2)
_HTYPE_ETHERNET = const(1)
_FLAG_BROADCAST = const(0x80)   # high bit of the flags field (RFC 2131 4.1)

_SERVER_PORT = const(67)
_CLIENT_PORT = const(68)

# option codes (RFC 2132)
_OPT_PAD = const(0)
_OPT_SUBNET_MASK = const(1)
_OPT_ROUTER = const(3)
_OPT_DNS = const(6)
_OPT_HOSTNAME = const(12)
_OPT_REQUESTED_IP = const(50)
_OPT_LEASE_TIME = const(51)
_OPT_OVERLOAD = const(52)
_OPT_MESSAGE_TYPE = const(53)
_OPT_SERVER_ID = const(54)
_OPT_PARAM_REQUEST = const(55)
_OPT_MESSAGE = const(56)
_OPT_MAX_SIZE = const(57)
_OPT_T1 = const(58)
_OPT_T2 = const(59)
_OPT_CLIENT_ID = const(61)
_OPT_END = const(255)

# message types (RFC 2132 9.6)
DISCOVER = const(1)
_OFFER = const(2)
REQUEST = const(3)
_DECLINE = const(4)
ACK = const(5)
NAK = const(6)
_RELEASE = const(7)
_INFORM = const(8)

# a 32-bit time of 0xFFFFFFFF means "infinity" (RFC 2131 3.3); other times
# at or past 2**30 s (34 years) are clamped there so they stay small ints
# on 32-bit MicroPython
INFINITE = const(-1)
_TIME_MAX = const(0x3FFFFFFF)

_COOKIE0 = const(99)
_COOKIE1 = const(130)
_COOKIE2 = const(83)
_COOKIE3 = const(99)


# --- reading ---------------------------------------------------------------
def op(buf, off):
    return buf[off + _OP]


def flags(buf, off):
    return (buf[off + FLAGS] << 8) | buf[off + FLAGS + 1]


def secs(buf, off):
    return (buf[off + _SECS] << 8) | buf[off + _SECS + 1]


def _scan(buf, p, end, code):
    """Offset of the value of option `code` in buf[p:end], -1 if absent,
    -2 if the area is malformed (an option running past its end)."""
    while p < end:
        c = buf[p]
        if c == _OPT_END:
            return -1
        if c == _OPT_PAD:
            p += 1
            continue
        if p + 1 >= end or p + 2 + buf[p + 1] > end:
            return -2
        if c == code:
            return p + 2
        p += 2 + buf[p + 1]
    return -1  # no end option: tolerated, the area ends here


def _overload(buf, off, n):
    """Value of the option-overload option (RFC 2132 9.3): 1 file, 2 sname,
    3 both; 0 if absent or malformed."""
    v = _scan(buf, off + OPTIONS, off + n, _OPT_OVERLOAD)
    if v < 0 or buf[v - 1] != 1 or not 1 <= buf[v] <= 3:
        return 0
    return buf[v]


def find_option(buf, off, n, code):
    """Offset of the value of option `code` in the n-byte message at off
    (its length is buf[offset - 1]), or -1. Looks in the options field, then
    in the file and sname fields when the overload option says they hold
    options (RFC 2131 4.1: that order)."""
    v = _scan(buf, off + OPTIONS, off + n, code)
    if v >= 0:
        return v
    if v == -2:
        return -1
    ov = _overload(buf, off, n)
    if ov & 1:
        v = _scan(buf, off + _FILE, off + _FILE + _FILE_LEN, code)
        if v >= 0:
            return v
    if ov & 2:
        v = _scan(buf, off + _SNAME, off + _SNAME + _SNAME_LEN, code)
        if v >= 0:
            return v
    return -1


def _area_ok(buf, p, end):
    return _scan(buf, p, end, 256) == -1   # no option has code 256: a full walk


def check(buf, off, n):
    """True if the n bytes at off are a well-formed DHCP message: the fixed
    header, the magic cookie, Ethernet addresses, and option areas (the
    options field, and the file/sname fields when overloaded) whose options
    all fit. The message type option is the caller's business."""
    if n < HEADER_LEN:
        return False
    if buf[off + _MAGIC] != _COOKIE0 or buf[off + _MAGIC + 1] != _COOKIE1 or \
            buf[off + _MAGIC + 2] != _COOKIE2 or buf[off + _MAGIC + 3] != _COOKIE3:
        return False
    if buf[off + _HTYPE] != _HTYPE_ETHERNET or buf[off + _HLEN] != 6:
        return False
    if not _area_ok(buf, off + OPTIONS, off + n):
        return False
    ov = _overload(buf, off, n)
    if ov & 1 and not _area_ok(buf, off + _FILE, off + _FILE + _FILE_LEN):
        return False
    if ov & 2 and not _area_ok(buf, off + _SNAME, off + _SNAME + _SNAME_LEN):
        return False
    return True


def message_type(buf, off, n):
    """The DHCP message type (1..8), or 0 if the option is missing or bad."""
    v = find_option(buf, off, n, _OPT_MESSAGE_TYPE)
    if v < 0 or buf[v - 1] != 1:
        return 0
    return buf[v]


def option_addr(buf, off, n, code):
    """Offset of a 4-byte address option's value (the first address of a
    list), or -1 if absent or shorter than 4 bytes."""
    v = find_option(buf, off, n, code)
    if v < 0 or buf[v - 1] < 4:
        return -1
    return v


def option_time(buf, off, n, code):
    """A 32-bit time option in seconds: -2 if absent or malformed, INFINITE
    (-1) for 0xFFFFFFFF, else clamped to 2**30 - 1 (no boxed ints)."""
    v = find_option(buf, off, n, code)
    if v < 0 or buf[v - 1] != 4:
        return -2
    b0 = buf[v]
    if b0 == 0xFF and buf[v + 1] == 0xFF and buf[v + 2] == 0xFF and buf[v + 3] == 0xFF:
        return INFINITE
    if b0 >= 0x40:
        return _TIME_MAX
    return (b0 << 24) | (buf[v + 1] << 16) | (buf[v + 2] << 8) | buf[v + 3]


def mask_prefix(buf, off):
    """Prefix length of the subnet mask at buf[off:off+4], or -1 if the ones
    are not contiguous."""
    plen = 0
    i = 0
    while i < 4 and buf[off + i] == 0xFF:
        plen += 8
        i += 1
    if i < 4:
        b = buf[off + i]
        while b & 0x80:
            plen += 1
            b = (b << 1) & 0xFF
        if b:
            return -1
        i += 1
        while i < 4:
            if buf[off + i]:
                return -1
            i += 1
    return plen


# --- writing ---------------------------------------------------------------
def emit_header(buf, off, op_, xid, xoff, secs_, flags_, ciaddr, coff, chaddr, choff):
    """Write the fixed header (hops 0; yiaddr, siaddr, giaddr, sname and file
    zero) and the magic cookie. ciaddr None means 0.0.0.0. Returns the
    offset where options start."""
    fill(buf, off, HEADER_LEN, 0)
    buf[off + _OP] = op_
    buf[off + _HTYPE] = _HTYPE_ETHERNET
    buf[off + _HLEN] = 6
    copy(buf, off + _XID, xid, xoff, 4)
    buf[off + _SECS] = (secs_ >> 8) & 0xFF
    buf[off + _SECS + 1] = secs_ & 0xFF
    buf[off + FLAGS] = (flags_ >> 8) & 0xFF
    buf[off + FLAGS + 1] = flags_ & 0xFF
    if ciaddr is not None:
        copy(buf, off + _CIADDR, ciaddr, coff, 4)
    copy(buf, off + _CHADDR, chaddr, choff, 6)
    buf[off + _MAGIC] = _COOKIE0
    buf[off + _MAGIC + 1] = _COOKIE1
    buf[off + _MAGIC + 2] = _COOKIE2
    buf[off + _MAGIC + 3] = _COOKIE3
    return off + OPTIONS


def put_u8(buf, p, code, value):
    buf[p] = code
    buf[p + 1] = 1
    buf[p + 2] = value
    return p + 3


def put_u16(buf, p, code, value):
    buf[p] = code
    buf[p + 1] = 2
    buf[p + 2] = (value >> 8) & 0xFF
    buf[p + 3] = value & 0xFF
    return p + 4


def put_bytes(buf, p, code, src, soff, n):
    """An option whose value is n bytes of src (an address: n = 4)."""
    buf[p] = code
    buf[p + 1] = n
    copy(buf, p + 2, src, soff, n)
    return p + 2 + n


def put_end(buf, off, p):
    """The end option, then zero padding up to _MIN_LEN. Returns the
    message length."""
    buf[p] = _OPT_END
    p += 1
    if p - off < _MIN_LEN:
        fill(buf, p, _MIN_LEN - (p - off), 0)
        p = off + _MIN_LEN
    return p - off


def xid_equal(buf, off, xid, xoff):
    return equal(buf, off + _XID, xid, xoff, 4)


def chaddr_equal(buf, off, mac, moff):
    return equal(buf, off + _CHADDR, mac, moff, 6)
