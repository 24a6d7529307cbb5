# A ring of datagrams: fixed metadata slots plus one payload byte ring.
#
# Each packet's payload is stored contiguously (like smoltcp's PacketBuffer):
# when it does not fit before the end of the payload ring, the tail is left
# as padding and the packet starts at 0. Every method is allocation-free;
# the metadata (peer address and port) lives in preallocated arrays.
#
# The owner (smolnet/socket/datagram.py) works in place, reading attributes
# rather than calling accessors (a call costs about as much as the rest of a
# small datagram's bookkeeping on a board; and a method call looks through
# the instance's names first, so there are few: 16, in a table of 17):
#   count                   packets queued
#   data, size              the payload ring and its length
#   addr                    every slot's address, _ADDR_MAX bytes apart
#   head_off, head_len, head_port, head_alen, head_addr
#                           the oldest packet (while count > 0): payload
#                           at data[head_off:head_off + head_len], address
#                           at addr[head_addr:head_addr + head_alen] (its
#                           slot: head_addr // _ADDR_MAX)
#   reserve(n, port, alen)  queues a packet; its owner then writes the
#   tail_off, tail_addr     payload at data[tail_off:] and the address at
#                           addr[tail_addr:]
#   pop()                   drops the oldest packet
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

    def reserve(self, n, port, alen):
        """Enqueue a packet of n bytes to or from port at an address of
        alen bytes. Returns its payload offset in data, also left in
        tail_off; its owner writes the payload there and the address at
        addr[tail_addr:]. -1 if there is no room (nothing changes).
        (port before alen: a caller that reads it from a header in the
        call has the stack words for that before alen is pushed.)"""
        w = _place(self, n)
        if w < 0:
            return -1
        # the new slot
        k = self.head_addr // _ADDR_MAX + self.count
        if k >= self._nslots:
            k -= self._nslots
        self.tail_addr = k * _ADDR_MAX
        k *= _FIELDS
        m = self._meta
        m[k + _OFF] = w
        m[k + _LEN] = n
        m[k + _PAD] = 0
        if w < self._wr:
            # wrapped to 0: the ring's end is padding, freed with this packet
            m[k + _PAD] = self.size - self._wr
            self._used += self.size - self._wr
        m[k + _PORT] = port
        m[k + _ALEN] = alen
        if not self.count:
            self.head_off = w
            self.head_len = n
            self.head_port = port
            self.head_alen = alen
            self.head_addr = self.tail_addr
        self.tail_off = w
        self._wr = w + n if w + n < self.size else 0
        self._used += n
        self.count += 1
        return w

    def pop(self):
        """Drop the oldest packet."""
        if self.count <= 1:
            # empty now (or already): the next packet starts at 0
            self.count = self._rd = self._wr = self._used = 0
            return
        self.count -= 1
        h = self.head_addr // _ADDR_MAX
        m = self._meta
        self._used -= m[h * _FIELDS + _PAD] + self.head_len
        self._rd = self.head_off + self.head_len
        if self._rd == self.size:
            self._rd = 0
        h = h + 1 if h + 1 < self._nslots else 0
        self.head_addr = h * _ADDR_MAX
        h *= _FIELDS
        self.head_off = m[h + _OFF]
        self.head_len = m[h + _LEN]
        self.head_port = m[h + _PORT]
        self.head_alen = m[h + _ALEN]
