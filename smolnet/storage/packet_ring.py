# A ring of datagrams: fixed metadata slots plus one payload byte ring.
#
# Each packet's payload is stored contiguously (like smoltcp's PacketBuffer):
# when it does not fit before the end of the payload ring, the tail is left
# as padding and the packet starts at 0. Every method is allocation-free;
# the metadata (peer address and port) lives in preallocated arrays.
from array import array
from micropython import const
from ..fast import copy

_ADDR_MAX = 16  # room for an IPv6 address per slot
# a slot's ints in _meta, at 4 * slot + field: one array rather than four
# (each array is two heap blocks and a name in the instance's table)
_OFF = const(0)   # payload offset in data
_LEN = const(1)   # payload length
_PAD = const(2)   # padding skipped before it (the payload wrapped to 0)
_PORT = const(3)  # peer port


class PacketRing:
    def __init__(self, slots, payload_bytes):
        if slots < 1 or payload_bytes < 1:
            raise ValueError("PacketRing needs at least one slot and one byte")
        self.data = bytearray(payload_bytes)
        self._cap = payload_bytes
        self._nslots = slots
        self._meta = array("i", [0] * (4 * slots))
        self._alen = bytearray(slots)
        self._addr = bytearray(slots * _ADDR_MAX)
        self._head = 0   # oldest slot
        self._count = 0
        self._rd = 0     # payload read position
        self._wr = 0     # payload write position
        self._used = 0   # payload bytes in use, padding included

    def __len__(self):
        return self._count

    def is_empty(self):
        return self._count == 0

    def is_full(self):
        return self._count == self._nslots

    def clear(self):
        self._head = self._count = self._rd = self._wr = self._used = 0

    def capacity(self):
        return self._cap

    def fits(self, n):
        """True if a packet of n payload bytes could be enqueued now."""
        return self._place(n) >= 0

    def _place(self, n):
        # returns the payload offset for n bytes, or -1; no state change
        if self._count == self._nslots or n > self._cap:
            return -1
        if self._count == 0:
            return 0
        if self._wr > self._rd or self._used == 0:
            if self._cap - self._wr >= n:
                return self._wr
            return 0 if n <= self._rd else -1
        # the write position has wrapped behind the read position
        return self._wr if self._rd - self._wr >= n else -1

    def push(self, src, soff, n, addr, aoff, alen, port):
        """Enqueue n bytes of src[soff:]; False if there is no room."""
        off = self.reserve(n, addr, aoff, alen, port)
        if off < 0:
            return False
        copy(self.data, off, src, soff, n)
        return True

    def reserve(self, n, addr, aoff, alen, port):
        """Enqueue a packet of n bytes whose payload the caller then writes
        in place at data[offset:offset+n]. Returns that offset, or -1 if
        there is no room (nothing changes)."""
        off = self._place(n)
        if off < 0:
            return -1
        if self._count == 0:
            self._rd = self._wr = self._used = 0
        pad = 0
        if off == 0 and self._count and self._wr != 0:
            pad = self._cap - self._wr
        slot = self._head + self._count
        if slot >= self._nslots:
            slot -= self._nslots
        m = self._meta
        k = slot << 2
        m[k + _OFF] = off
        m[k + _LEN] = n
        m[k + _PAD] = pad
        m[k + _PORT] = port
        self._alen[slot] = alen
        copy(self._addr, slot * _ADDR_MAX, addr, aoff, alen)
        self._wr = off + n
        if self._wr == self._cap:
            self._wr = 0
        self._used += pad + n
        self._count += 1
        return off

    # the oldest packet, read in place by the owner
    def head_off(self):
        return self._meta[(self._head << 2) + _OFF]

    def head_len(self):
        return self._meta[(self._head << 2) + _LEN]

    def head_port(self):
        return self._meta[(self._head << 2) + _PORT]

    def head_alen(self):
        return self._alen[self._head]

    def head_addr_off(self):
        """Offset of the head packet's address in addr_buf()."""
        return self._head * _ADDR_MAX

    def addr_buf(self):
        return self._addr

    def pop(self):
        if self._count == 0:
            return
        h = self._head
        m = self._meta
        k = h << 2
        n = m[k + _LEN]
        self._used -= m[k + _PAD] + n
        self._rd = m[k + _OFF] + n
        if self._rd == self._cap:
            self._rd = 0
        self._head = h + 1 if h + 1 < self._nslots else 0
        self._count -= 1
        if self._count == 0:
            self._rd = self._wr = self._used = 0
