# A ring of datagrams: fixed metadata slots plus one payload byte ring.
#
# Each packet's payload is stored contiguously (like smoltcp's PacketBuffer):
# when it does not fit before the end of the payload ring, the tail is left
# as padding and the packet starts at 0. Nothing here allocates; the
# metadata (peer address and port) lives in preallocated arrays.
#
# The owner (smolnet/socket/datagram.py) works in place, reading attributes
# rather than calling accessors: a call costs about as much as the rest of a
# small datagram's bookkeeping on a board. The two calls every packet makes
# are module functions, which cost half a method call (a method is looked
# for among the instance's names first: there are 16, in a table of 17):
#   count                   packets queued
#   data, size              the payload ring and its length
#   addr                    every slot's address, _ADDR_MAX bytes apart
#   head_off, head_len, head_port, head_alen, head_addr
#                           the oldest packet (while count > 0): payload
#                           at data[head_off:head_off + head_len], address
#                           at addr[head_addr:head_addr + head_alen] (its
#                           slot: head_addr // _ADDR_MAX)
#   reserve(r, n, port, alen)   queues a packet; its owner then writes the
#   tail_off, tail_addr     payload at data[tail_off:] and the address at
#                           addr[tail_addr:]
#   pop(r)                  drops the oldest packet
from array import array
from micropython import const

_ADDR_MAX = const(16)  # room for an IPv6 address per slot
# a slot's ints in _meta, at _FIELDS * slot + field: one array rather than
# five (each array is two heap blocks and a name in the instance's table)
_FIELDS = const(5)
_OFF = const(0)   # payload offset in data
_LEN = const(1)   # payload length
_PAD = const(2)   # padding skipped before it (the payload wrapped to 0)
_PORT = const(3)  # peer port
_ALEN = const(4)  # address length


def _place(r, n):
    # the payload offset for n bytes in ring r, or -1; no state change. An
    # empty ring has _rd = _wr = _used = 0 (pop() and clear() see to it),
    # so its packet goes to 0. (A function: cheaper to call than a method.)
    if r.count == r._nslots or n > r.size:
        return -1
    if r._wr > r._rd or r._used == 0:
        if r.size - r._wr >= n:
            return r._wr
        return 0 if n <= r._rd else -1
    # the write position has wrapped behind the read position
    return r._wr if r._rd - r._wr >= n else -1


class PacketRing:
    def __init__(self, slots, payload_bytes):
        if slots < 1 or payload_bytes < 1:
            raise ValueError("PacketRing needs at least one slot and one byte")
        self.data = bytearray(payload_bytes)
        self.size = payload_bytes
        self.addr = bytearray(slots * _ADDR_MAX)
        self.count = 0
        self._nslots = slots
        self._meta = array("i", [0] * (_FIELDS * slots))
        self._rd = 0     # payload read position
        self._wr = 0     # payload write position
        self._used = 0   # payload bytes in use, padding included
        # copies of the oldest packet's slot (set when it becomes the head)
        # and where it is
        self.head_off = self.head_len = self.head_port = self.head_alen = self.head_addr = 0
        self.tail_off = self.tail_addr = 0   # the packet reserve() queued last

    def __len__(self):
        return self.count

    def is_empty(self):
        return self.count == 0

    def is_full(self):
        return self.count == self._nslots

    def clear(self):
        self.head_addr = self.count = self._rd = self._wr = self._used = 0

    def capacity(self):
        return self.size

    def fits(self, n):
        """True if a packet of n payload bytes could be enqueued now."""
        return _place(self, n) >= 0


def reserve(r, n, port, alen):
    """Enqueue in ring r a packet of n bytes to or from port at an
    address of alen bytes. Returns its payload offset in data, also left in
    tail_off; its owner writes the payload there and the address at
    addr[tail_addr:]. -1 if there is no room (nothing changes).
    (port before alen: a caller that reads it from a header in the
    call has the stack words for that before alen is pushed.)"""
    if not r.count:
        # an empty ring, the usual case: the packet at 0, in the head's
        # slot, its fields in the head's copies (pop() never reads a head's
        # from _meta but its padding)
        if n > r.size:
            return -1
        r.head_off = r.tail_off = 0
        r.head_len = n
        r.head_port = port
        r.head_alen = alen
        r.tail_addr = r.head_addr
        r._meta[r.head_addr // _ADDR_MAX * _FIELDS + _PAD] = 0
        r._wr = n if n < r.size else 0
        r._used = n
        r.count = 1
        return 0
    w = _place(r, n)
    if w < 0:
        return -1
    # the new slot, behind the head
    k = r.head_addr // _ADDR_MAX + r.count
    if k >= r._nslots:
        k -= r._nslots
    r.tail_addr = k * _ADDR_MAX
    k *= _FIELDS
    m = r._meta
    m[k + _OFF] = w
    m[k + _LEN] = n
    m[k + _PAD] = 0
    if w < r._wr:
        # wrapped to 0: the ring's end is padding, freed with this packet
        m[k + _PAD] = r.size - r._wr
        r._used += r.size - r._wr
    m[k + _PORT] = port
    m[k + _ALEN] = alen
    r.tail_off = w
    r._wr = w + n if w + n < r.size else 0
    r._used += n
    r.count += 1
    return w


def pop(r):
    """Drop ring r's oldest packet."""
    if r.count <= 1:
        # empty now (or already): the next packet starts at 0
        r.count = r._rd = r._wr = r._used = 0
        return
    r.count -= 1
    h = r.head_addr // _ADDR_MAX
    m = r._meta
    r._used -= m[h * _FIELDS + _PAD] + r.head_len
    r._rd = r.head_off + r.head_len
    if r._rd == r.size:
        r._rd = 0
    h = h + 1 if h + 1 < r._nslots else 0
    r.head_addr = h * _ADDR_MAX
    h *= _FIELDS
    r.head_off = m[h + _OFF]
    r.head_len = m[h + _LEN]
    r.head_port = m[h + _PORT]
    r.head_alen = m[h + _ALEN]
