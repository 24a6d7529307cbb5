# DNS messages (RFC 1035 4.1), over (buf, off): a query's encoding and what
# a resolver needs from a response (the question echoed back, the answer
# records for a name through its CNAME chain).
#
# Names in a message may be compressed (RFC 1035 4.1.4): a 2-byte pointer to
# an earlier occurrence. Every walk here is bounded: a pointer must point
# before itself, at most _MAX_HOPS pointers are followed in a row, a name
# stops at 255 bytes, and at most _MAX_ANSWERS answer records are looked at.
# Malformed input gives -1 or False, never an exception. Nothing allocates.
from micropython import const
from ..fast import copy

HEADER_LEN = const(12)
_ID = const(0)
_FLAGS = const(2)
_QDCOUNT = const(4)
_ANCOUNT = const(6)
_NSCOUNT = const(8)
_ARCOUNT = const(10)

FLAG_QR = const(0x8000)       # a response
_OPCODE_MASK = const(0x7800)
FLAG_AA = const(0x0400)
_FLAG_TC = const(0x0200)       # truncated: the whole answer needs TCP
_FLAG_RD = const(0x0100)       # recursion desired
_FLAG_RA = const(0x0080)
_RCODE_MASK = const(0x000F)

_RCODE_NOERROR = const(0)
_RCODE_FORMERR = const(1)
_RCODE_SERVFAIL = const(2)
_RCODE_NXDOMAIN = const(3)
_RCODE_NOTIMP = const(4)
_RCODE_REFUSED = const(5)

TYPE_A = const(1)
_TYPE_NS = const(2)
_TYPE_CNAME = const(5)
_TYPE_SOA = const(6)
TYPE_AAAA = const(28)
CLASS_IN = const(1)

PORT = const(53)
_NAME_MAX = const(255)         # RFC 1035 2.3.4, the wire form
_LABEL_MAX = const(63)
_MAX_HOPS = const(8)          # pointers followed in a row
_MAX_ANSWERS = const(32)      # answer records examined per response
_MAX_CNAMES = const(8)        # CNAME links followed

# answers() failures
_ERR_MALFORMED = const(-1)
_ERR_QUESTION = const(-2)


def _u16(buf, off):
    return (buf[off] << 8) | buf[off + 1]


def _put16(buf, off, v):
    buf[off] = (v >> 8) & 0xFF
    buf[off + 1] = v & 0xFF


def ident(buf, off):
    return _u16(buf, off + _ID)


def flags(buf, off):
    return _u16(buf, off + _FLAGS)


def qdcount(buf, off):
    return _u16(buf, off + _QDCOUNT)


def ancount(buf, off):
    return _u16(buf, off + _ANCOUNT)


def opcode(fl):
    return (fl & _OPCODE_MASK) >> 11


# --- names ---------------------------------------------------------------
def encode_name(out, off, name, n):
    """Write the dotted name (n bytes of a bytes-like, an optional final
    dot) as labels at out[off:]. Returns the wire length, or -1 if the name
    is empty, has an empty label, a label over 63 bytes or is over 255
    bytes in all (RFC 1035 2.3.4). out needs 256 bytes from off."""
    if n == 0 or (n == 1 and name[0] == 46):
        return -1
    p = off        # the current label's length byte
    o = off + 1    # where the next character goes
    lab = 0
    for i in range(n):
        c = name[i]
        if c == 46:   # '.'
            if lab == 0:
                return -1
            out[p] = lab
            p = o
            o += 1
            lab = 0
        else:
            if lab == _LABEL_MAX or o - off >= _NAME_MAX:
                return -1
            out[o] = c
            o += 1
            lab += 1
    if lab:
        out[p] = lab
        p = o
    out[p] = 0
    return p + 1 - off


def skip_name(buf, end, p):
    """Offset just past the name at p as it sits in the message (labels up
    to a zero byte or a pointer), or -1 if it runs past end or uses a
    reserved label type."""
    while True:
        if p >= end:
            return -1
        c = buf[p]
        if c == 0:
            return p + 1
        if c >= 0xC0:
            return p + 2 if p + 2 <= end else -1
        if c >= 0x40:
            return -1
        p += c + 1


def _follow(buf, msg, end, p):
    """From p, follow pointers to a label's length byte; -1 if bad. A
    pointer must point before itself, so chains end; _MAX_HOPS bounds them."""
    hops = 0
    while True:
        if p < msg or p >= end:
            return -1
        c = buf[p]
        if c < 0x40:
            return p if p + 1 + c <= end else -1
        if c < 0xC0 or p + 1 >= end or hops == _MAX_HOPS:
            return -1
        t = msg + (((c & 0x3F) << 8) | buf[p + 1])
        if t >= p:
            return -1
        p = t
        hops += 1


def name_valid(buf, msg, end, p):
    """True if the name at p can be read whole (pointers, lengths, 255)."""
    total = 0
    while True:
        p = _follow(buf, msg, end, p)
        if p < 0:
            return False
        n = buf[p]
        if n == 0:
            return True
        total += n + 1
        if total > _NAME_MAX:
            return False
        p += n + 1


def name_equal(a, amsg, aend, ap, b, bmsg, bend, bp):
    """True if the name at a[ap] (in the message a[amsg:aend]) equals the
    one at b[bp], ignoring ASCII case (RFC 4343). Either may be compressed;
    an uncompressed name in a buffer of its own has msg 0, end its length.
    A malformed name equals nothing."""
    total = 0
    while True:
        ap = _follow(a, amsg, aend, ap)
        bp = _follow(b, bmsg, bend, bp)
        if ap < 0 or bp < 0:
            return False
        n = a[ap]
        if n != b[bp]:
            return False
        if n == 0:
            return True
        total += n + 1
        if total > _NAME_MAX:   # also ends a label/pointer cycle
            return False
        for i in range(1, n + 1):
            x = a[ap + i]
            y = b[bp + i]
            if x != y:
                if 65 <= x <= 90:
                    x += 32
                if 65 <= y <= 90:
                    y += 32
                if x != y:
                    return False
        ap += n + 1
        bp += n + 1


# --- queries -------------------------------------------------------------
def emit_query(buf, off, ident_, qname, qoff, qlen, qtype):
    """A standard query with recursion desired for one question: the wire
    name qname[qoff:qoff+qlen] (from encode_name), qtype, class IN.
    Returns the message length."""
    _put16(buf, off + _ID, ident_)
    _put16(buf, off + _FLAGS, _FLAG_RD)
    _put16(buf, off + _QDCOUNT, 1)
    _put16(buf, off + _ANCOUNT, 0)
    _put16(buf, off + _NSCOUNT, 0)
    _put16(buf, off + _ARCOUNT, 0)
    p = off + HEADER_LEN
    copy(buf, p, qname, qoff, qlen)
    p += qlen
    _put16(buf, p, qtype)
    _put16(buf, p + 2, CLASS_IN)
    return p + 4 - off


# --- responses -----------------------------------------------------------
def question_end(buf, m, n, qname, qoff, qlen, qtype):
    """If the n-byte message at m carries exactly our question (name, type,
    class IN), the offset just past it; else -1."""
    end = m + n
    if n < HEADER_LEN or qdcount(buf, m) != 1:
        return -1
    p = m + HEADER_LEN
    q = skip_name(buf, end, p)
    if q < 0 or q + 4 > end:
        return -1
    if _u16(buf, q) != qtype or _u16(buf, q + 2) != CLASS_IN:
        return -1
    if not name_equal(buf, m, end, p, qname, qoff, qoff + qlen, qoff):
        return -1
    return q + 4


def _next_rr(buf, end, p):
    """Offset past the resource record at p, or -1 if it does not fit."""
    q = skip_name(buf, end, p)
    if q < 0 or q + 10 > end:
        return -1
    r = q + 10 + _u16(buf, q + 8)
    return r if r <= end else -1


def answers(buf, m, n, qname, qoff, qlen, qtype, out, ooff, maxn):
    """Addresses answering our question in the n-byte response at m: the
    records of type qtype (A: 4 bytes, AAAA: 16) for the question's name
    or the end of its CNAME chain, copied to out[ooff:] (at most maxn).
    Returns how many (0: none of that type), _ERR_QUESTION if the question
    is not ours, _ERR_MALFORMED if the answer section does not parse."""
    end = m + n
    a0 = question_end(buf, m, n, qname, qoff, qlen, qtype)
    if a0 < 0:
        return _ERR_QUESTION
    count = ancount(buf, m)
    if count > _MAX_ANSWERS:
        count = _MAX_ANSWERS
    # every record must parse, owner names included, before any is believed
    p = a0
    for _ in range(count):
        if not name_valid(buf, m, end, p):
            return _ERR_MALFORMED
        p = _next_rr(buf, end, p)
        if p < 0:
            return _ERR_MALFORMED
    alen = 16 if qtype == TYPE_AAAA else 4
    # follow the CNAME chain from the question's name (RFC 1034 3.6.2)
    cur = m + HEADER_LEN
    for _ in range(_MAX_CNAMES):
        nxt = _cname_of(buf, m, end, a0, count, cur)
        if nxt < 0:
            break
        cur = nxt
    k = 0
    p = a0
    for _ in range(count):
        q = skip_name(buf, end, p)
        rd = q + 10
        rdlen = _u16(buf, q + 8)
        if k < maxn and _u16(buf, q) == qtype and _u16(buf, q + 2) == CLASS_IN and \
                rdlen == alen and name_equal(buf, m, end, p, buf, m, end, cur):
            copy(out, ooff + k * alen, buf, rd, alen)
            k += 1
        p = rd + rdlen
    return k


def _cname_of(buf, m, end, a0, count, name):
    """Offset of the target of a CNAME record for the name at `name`, or
    -1 if there is none (or it is not a well-formed name)."""
    p = a0
    for _ in range(count):
        q = skip_name(buf, end, p)
        rd = q + 10
        rdlen = _u16(buf, q + 8)
        if _u16(buf, q) == _TYPE_CNAME and _u16(buf, q + 2) == CLASS_IN and \
                name_equal(buf, m, end, p, buf, m, end, name):
            t = skip_name(buf, rd + rdlen, rd)
            if t == rd + rdlen:
                return rd
            return -1
        p = rd + rdlen
    return -1
