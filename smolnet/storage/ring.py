# A byte ring over one preallocated bytearray: TCP's send and receive buffers.
#
# Layout: `length` readable bytes start at `_head` and may wrap past the end
# of `buf`. The free space follows the readable bytes. Out-of-order TCP data
# is written into that free space with write_at() (not yet readable) and made
# readable with commit() once the gap before it has been filled.
#
# `length` is public to read (TCP's per-segment code reads it instead of
# calling used()); only the methods here change it.
#
# Memory: every method below is allocation-free on MicroPython (bulk copies go
# through smolnet.fast.copy, at most two per call when the data wraps); none
# raises except commit() on misuse. Not safe to call from an interrupt
# handler while another method runs (no locking).
#
# Frames: each copying method does its own wrap split, with the position
# kept as `first`, the bytes from it to the end of buf (its index is
# size - first): a shared helper would cost a call per segment, and a call
# of fast.copy (5 arguments) leaves room for 5 locals in the 11 words a
# MicroPython frame keeps on the C stack (tools/frame_sizes.py).
#
# The read head is never moved back to 0 when the ring empties: bytes parked
# by write_at() sit at positions relative to the head and would be lost.
from ..fast import copy, copy_sum, swap16

# find()'s needle, one for every ring (find() runs to its end before any
# other can start: nothing here is interrupt-safe anyway)
_NEEDLE = bytearray(1)


class RingBuffer:
    def __init__(self, size):
        if size < 1:
            raise ValueError("RingBuffer size must be >= 1")
        self.buf = bytearray(size)
        self.size = size
        self._head = 0     # index in buf of the first readable byte
        self.length = 0    # readable bytes

    # --- state -------------------------------------------------------------
    def __len__(self):
        return self.length

    def used(self):
        return self.length

    def free(self):
        return self.size - self.length

    def is_empty(self):
        return self.length == 0

    def is_full(self):
        return self.length == self.size

    def clear(self):
        """Drop everything, readable and parked (write_at) bytes alike."""
        self._head = 0
        self.length = 0

    # --- writer side ----------------------------------------------------------
    def write_from(self, src, soff, n):
        """Enqueue up to n bytes from src[soff:]; returns the number taken."""
        if n > self.size - self.length:
            n = self.size - self.length
        if n <= 0:
            return 0
        first = self.size - self._head - self.length    # from the end of the data
        if first <= 0:
            first += self.size                           # (which wrapped)
        self.length += n
        if first >= n:
            copy(self.buf, self.size - first, src, soff, n)
            return n
        copy(self.buf, self.size - first, src, soff, first)
        n -= first                                       # the rest from buf's start
        copy(self.buf, 0, src, soff + first, n)
        return n + first

    def write_at(self, at, src, soff, n):
        """Park up to n bytes from src[soff:] in the free space, `at` bytes
        after the end of the readable data, without making them readable.
        Bounded by the free space; returns the number of bytes stored."""
        if n > self.size - self.length - at:
            n = self.size - self.length - at
        if n <= 0 or at < 0:
            return 0
        # from here `at` is `first` (the module header): no room for a local
        at = self.size - self._head - self.length - at
        if at <= 0:
            at += self.size
        if at >= n:
            copy(self.buf, self.size - at, src, soff, n)
            return n
        copy(self.buf, self.size - at, src, soff, at)
        n -= at
        copy(self.buf, 0, src, soff + at, n)
        return n + at

    def commit(self, n):
        """Make the next n parked bytes readable (after write_at)."""
        if n < 0 or n > self.size - self.length:
            raise ValueError("commit beyond free space")
        self.length += n

    # --- reader side ----------------------------------------------------------
    def read_into(self, dst, doff, n):
        """Dequeue up to n bytes into dst[doff:]; returns the number copied."""
        if n > self.length:
            n = self.length
        if n <= 0:
            return 0
        first = self.size - self._head
        self.length -= n
        if first > n:
            copy(dst, doff, self.buf, self._head, n)
            self._head += n
            return n
        copy(dst, doff, self.buf, self._head, first)
        n -= first                   # the rest from buf's start (maybe none)
        copy(dst, doff + first, self.buf, 0, n)
        self._head = n
        return n + first

    def peek_into(self, dst, doff, at, n):
        """Copy up to n readable bytes starting `at` bytes after the read
        head into dst[doff:] without dequeuing; returns the number copied.
        (TCP retransmits from the send ring this way, straight into a frame.)"""
        if n > self.length - at:
            n = self.length - at
        if n <= 0 or at < 0:
            return 0
        # from here `at` is `first` (the module header): no room for a local
        at = self.size - self._head - at
        if at <= 0:
            at += self.size
        if at >= n:
            copy(dst, doff, self.buf, self.size - at, n)
            return n
        copy(dst, doff, self.buf, self.size - at, at)
        n -= at
        copy(dst, doff + at, self.buf, 0, n)
        return n + at

    def peek_sum(self, dst, doff, at, n):
        """peek_into() that also sums what it copies: returns the folded
        16-bit one's-complement sum of the copied bytes (0 if none), as
        fast.sum16(dst, doff, copied, 0) would give. TCP's segment payload
        is summed this way while it goes into the frame. (No running sum to
        add to, and fast.copy_sum's five arguments: this frame and TCP's
        caller, tcp_emit._build, each fit 11 words.)"""
        if n > self.length - at:
            n = self.length - at
        if n <= 0 or at < 0:
            return 0
        at = self.size - self._head - at      # bytes from there to the end
        if at <= 0:
            at += self.size
        if at >= n:
            return copy_sum(dst, doff, self.buf, self.size - at, n)
        return self._sum_wrapped(dst, doff, at, n)

    def _sum_wrapped(self, dst, doff, first, n):
        # peek_sum() across the end of the buffer: `first` bytes up to it,
        # then the rest from its start (summed first; the names are reused
        # so that the frame keeps to 11 words: this runs once a lap)
        n -= first
        n = copy_sum(dst, doff + first, self.buf, 0, n)
        if first & 1:
            n = swap16(n)      # that part starts at an odd offset
        doff = copy_sum(dst, doff, self.buf, self.size - first, first) + n
        return (doff & 0xFFFF) + (doff >> 16)

    def discard(self, n):
        """Drop up to n readable bytes (e.g. acknowledged data); returns how
        many were dropped."""
        if n > self.length:
            n = self.length
        if n <= 0:
            return 0
        self._head += n
        if self._head >= self.size:
            self._head -= self.size
        self.length -= n
        return n

    def find(self, byte, limit):
        """Index (relative to the read head) of the first `byte` among the
        first `limit` readable bytes, or -1. For readline()."""
        if limit > self.length:
            limit = self.length      # from here: the bytes to search
        if limit <= 0:
            return -1
        _NEEDLE[0] = byte
        first = self.size - self._head
        if first >= limit:
            i = self.buf.find(_NEEDLE, self._head, self._head + limit)
            return i - self._head if i >= 0 else -1
        i = self.buf.find(_NEEDLE, self._head, self.size)
        if i >= 0:
            return i - self._head
        i = self.buf.find(_NEEDLE, 0, limit - first)
        return i + first if i >= 0 else -1
