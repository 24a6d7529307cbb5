# A byte ring over one preallocated bytearray: TCP's send and receive buffers.
#
# Layout: `_len` readable bytes start at `_head` and may wrap past the end of
# `buf`. The free space follows the readable bytes. Out-of-order TCP data is
# written into that free space with write_at() (not yet readable) and made
# readable with commit() once the gap before it has been filled.
#
# Memory: every method below is allocation-free on MicroPython (bulk copies go
# through smolnet.fast.copy, at most two per call when the data wraps); none
# raises except commit() on misuse. Not safe to call from an interrupt
# handler while another method runs (no locking).
#
# The read head is never moved back to 0 when the ring empties: bytes parked
# by write_at() sit at positions relative to the head and would be lost.
from ..fast import copy, copy_sum16, swap16

# find()'s needle, one for every ring (find() runs to its end before any
# other can start: nothing here is interrupt-safe anyway)
_NEEDLE = bytearray(1)


class RingBuffer:
    def __init__(self, size):
        if size < 1:
            raise ValueError("RingBuffer size must be >= 1")
        self.buf = bytearray(size)
        self.size = size
        self._head = 0  # index in buf of the first readable byte
        self._len = 0   # readable bytes

    # --- state -------------------------------------------------------------
    def __len__(self):
        return self._len

    def used(self):
        return self._len

    def free(self):
        return self.size - self._len

    def is_empty(self):
        return self._len == 0

    def is_full(self):
        return self._len == self.size

    def clear(self):
        """Drop everything, readable and parked (write_at) bytes alike."""
        self._head = 0
        self._len = 0

    # --- raw copies at ring positions (pos < size) --------------------------
    def _put(self, pos, src, soff, n):
        first = self.size - pos
        if first >= n:
            copy(self.buf, pos, src, soff, n)
        else:
            copy(self.buf, pos, src, soff, first)
            copy(self.buf, 0, src, soff + first, n - first)

    def _get(self, dst, doff, pos, n):
        first = self.size - pos
        if first >= n:
            copy(dst, doff, self.buf, pos, n)
        else:
            copy(dst, doff, self.buf, pos, first)
            copy(dst, doff + first, self.buf, 0, n - first)

    def _pos(self, at):
        # ring index of the byte `at` bytes after the read head (at < 2*size)
        p = self._head + at
        if p >= self.size:
            p -= self.size
        return p

    # --- writer side ----------------------------------------------------------
    def write_from(self, src, soff, n):
        """Enqueue up to n bytes from src[soff:]; returns the number taken."""
        room = self.size - self._len
        if n > room:
            n = room
        if n <= 0:
            return 0
        self._put(self._pos(self._len), src, soff, n)
        self._len += n
        return n

    def write_at(self, at, src, soff, n):
        """Park up to n bytes from src[soff:] in the free space, `at` bytes
        after the end of the readable data, without making them readable.
        Bounded by the free space; returns the number of bytes stored."""
        room = self.size - self._len - at
        if n > room:
            n = room
        if n <= 0 or at < 0:
            return 0
        self._put(self._pos(self._len + at), src, soff, n)
        return n

    def commit(self, n):
        """Make the next n parked bytes readable (after write_at)."""
        if n < 0 or n > self.size - self._len:
            raise ValueError("commit beyond free space")
        self._len += n

    # --- reader side ----------------------------------------------------------
    def read_into(self, dst, doff, n):
        """Dequeue up to n bytes into dst[doff:]; returns the number copied."""
        if n > self._len:
            n = self._len
        if n <= 0:
            return 0
        self._get(dst, doff, self._head, n)
        self._head = self._pos(n)
        self._len -= n
        return n

    def peek_into(self, dst, doff, at, n):
        """Copy up to n readable bytes starting `at` bytes after the read
        head into dst[doff:] without dequeuing; returns the number copied.
        (TCP retransmits from the send ring this way, straight into a frame.)"""
        avail = self._len - at
        if n > avail:
            n = avail
        if n <= 0 or at < 0:
            return 0
        self._get(dst, doff, self._pos(at), n)
        return n

    def peek_sum(self, dst, doff, at, n, acc):
        """peek_into() that also sums what it copies: returns the folded
        16-bit one's-complement sum of the copied bytes plus acc (0..0xFFFF),
        as fast.sum16(dst, doff, copied, acc) would give. TCP's segment
        payload is summed this way while it goes into the frame."""
        avail = self._len - at
        if n > avail:
            n = avail
        if n <= 0 or at < 0:
            return acc
        pos = self._pos(at)
        first = self.size - pos
        if first >= n:
            return copy_sum16(dst, doff, self.buf, pos, n, acc)
        s = copy_sum16(dst, doff, self.buf, pos, first, acc)
        t = copy_sum16(dst, doff + first, self.buf, 0, n - first, 0)
        if first & 1:
            t = swap16(t)      # the second part starts at an odd offset
        s += t
        return (s & 0xFFFF) + (s >> 16)

    def discard(self, n):
        """Drop up to n readable bytes (e.g. acknowledged data); returns how
        many were dropped."""
        if n > self._len:
            n = self._len
        if n <= 0:
            return 0
        self._head = self._pos(n)
        self._len -= n
        return n

    def find(self, byte, limit):
        """Index (relative to the read head) of the first `byte` among the
        first `limit` readable bytes, or -1. For readline()."""
        n = self._len
        if limit < n:
            n = limit
        if n <= 0:
            return -1
        needle = _NEEDLE
        needle[0] = byte
        head = self._head
        first = self.size - head
        if first >= n:
            i = self.buf.find(needle, head, head + n)
            return i - head if i >= 0 else -1
        i = self.buf.find(needle, head, self.size)
        if i >= 0:
            return i - head
        i = self.buf.find(needle, 0, n - first)
        return i + first if i >= 0 else -1
