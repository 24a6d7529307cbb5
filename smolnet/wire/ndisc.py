# Neighbor Discovery message bodies (RFC 4861 4) and their options (4.6),
# for Ethernet (link-layer address options of 8 bytes, RFC 2464 8). The
# ICMPv6 header and checksum are icmpv6.py's; offsets here are from the
# start of the ICMPv6 message.
from micropython import const
from ..fast import copy

RS_LEN = const(8)      # type, code, checksum, reserved
RA_LEN = const(16)
NS_LEN = const(24)     # ... reserved, target address
NA_LEN = const(24)
TARGET = const(8)
_NA_FLAGS = const(4)
_RA_HOP_LIMIT = const(4)
_RA_FLAGS = const(5)
_RA_LIFETIME = const(6)

NA_ROUTER = const(0x80)
NA_SOLICITED = const(0x40)
NA_OVERRIDE = const(0x20)

OPT_SOURCE_LLA = const(1)
OPT_TARGET_LLA = const(2)
OPT_PREFIX_INFO = const(3)
OPT_MTU = const(5)
LLA_OPT_LEN = const(8)   # type, length 1, 6-byte MAC

# prefix information option (4.6.2)
_PI_PLEN = const(2)
_PI_FLAGS = const(3)
_PI_VALID = const(4)
_PI_PREFERRED = const(8)
PI_PREFIX = const(16)
PI_ON_LINK = const(0x80)
PI_AUTONOMOUS = const(0x40)

INFINITE = const(-1)     # a lifetime of 0xffffffff (4.6.2)
_SECONDS_MAX = const(0x3FFFFFFF)  # larger lifetimes saturate (no boxed int)


def options_start(t):
    """Offset of the options of an ND message of ICMPv6 type t."""
    if t == 133:
        return RS_LEN
    if t == 134:
        return RA_LEN
    return NS_LEN  # NS, NA (and redirect starts at 40: not handled here)


def options_valid(buf, off, n, start):
    """Every option from off + start up to off + n has a non-zero length and
    fits (RFC 4861 6.1.2, 7.1.1, 7.1.2: otherwise discard the message)."""
    p = off + start
    end = off + n
    while p < end:
        if p + 2 > end:
            return False
        k = buf[p + 1] << 3
        if k == 0 or p + k > end:
            return False
        p += k
    return True


def find_option(buf, off, n, start, kind):
    """Offset (absolute) of the first option of this kind, or -1. Assumes
    options_valid() passed."""
    p = off + start
    end = off + n
    while p + 2 <= end:
        k = buf[p + 1] << 3
        if k == 0:
            return -1
        if buf[p] == kind:
            return p
        p += k
    return -1


def next_option(buf, p, end, kind):
    """The next option of this kind at or after p (absolute), or -1: for
    walking several prefix options of one RA."""
    while p + 2 <= end:
        k = buf[p + 1] << 3
        if k == 0:
            return -1
        if buf[p] == kind:
            return p
        p += k
    return -1


def option_len(buf, p):
    return buf[p + 1] << 3


def lla_ok(buf, p):
    """A link-layer address option holding one 6-byte MAC (RFC 2464 8)."""
    return buf[p + 1] == 1


def na_flags(buf, off):
    return buf[off + _NA_FLAGS]


def _put_lla(buf, p, kind, mac, moff):
    buf[p] = kind
    buf[p + 1] = 1
    copy(buf, p + 2, mac, moff, 6)


def _head(buf, off, t):
    buf[off] = t
    buf[off + 1] = 0
    for i in range(2, 8):
        buf[off + i] = 0


def emit_ns(buf, off, target, toff, mac, moff):
    """A neighbor solicitation for target; with a source link-layer option
    unless mac is None (DAD probes carry none: RFC 4861 7.2.2). Returns the
    length. Checksum left zero."""
    _head(buf, off, 135)
    copy(buf, off + TARGET, target, toff, 16)
    if mac is None:
        return NS_LEN
    _put_lla(buf, off + NS_LEN, OPT_SOURCE_LLA, mac, moff)
    return NS_LEN + LLA_OPT_LEN


def emit_na(buf, off, flags, target, toff, mac, moff):
    """A neighbor advertisement with a target link-layer option (7.2.4:
    always included here, it is required in answer to multicast)."""
    _head(buf, off, 136)
    buf[off + _NA_FLAGS] = flags
    copy(buf, off + TARGET, target, toff, 16)
    _put_lla(buf, off + NA_LEN, OPT_TARGET_LLA, mac, moff)
    return NA_LEN + LLA_OPT_LEN


def emit_rs(buf, off, mac, moff):
    """A router solicitation, with a source link-layer option unless mac is
    None (required when the source is unspecified: 4.1)."""
    _head(buf, off, 133)
    if mac is None:
        return RS_LEN
    _put_lla(buf, off + RS_LEN, OPT_SOURCE_LLA, mac, moff)
    return RS_LEN + LLA_OPT_LEN


def ra_hop_limit(buf, off):
    return buf[off + _RA_HOP_LIMIT]


def ra_router_lifetime(buf, off):
    """Seconds this router may serve as a default router; 0: not a default
    router (RFC 4861 4.2)."""
    return (buf[off + _RA_LIFETIME] << 8) | buf[off + _RA_LIFETIME + 1]


def sat32(buf, off):
    """A 32-bit big-endian count of seconds: INFINITE for 0xffffffff, else
    saturated below 2**30 so it stays a small int on 32-bit ports."""
    hi = (buf[off] << 8) | buf[off + 1]
    lo = (buf[off + 2] << 8) | buf[off + 3]
    if hi == 0xFFFF and lo == 0xFFFF:
        return INFINITE
    if hi >= 0x4000:
        return _SECONDS_MAX
    return (hi << 16) | lo


def pi_prefix_len(buf, p):
    return buf[p + _PI_PLEN]


def pi_flags(buf, p):
    return buf[p + _PI_FLAGS]


def pi_valid_lifetime(buf, p):
    return sat32(buf, p + _PI_VALID)


def pi_preferred_lifetime(buf, p):
    return sat32(buf, p + _PI_PREFERRED)


def mtu_option_value(buf, p):
    """The MTU option's value, saturated at 0xFFFF."""
    if buf[p + 4] or buf[p + 5]:
        return 0xFFFF
    return (buf[p + 6] << 8) | buf[p + 7]
