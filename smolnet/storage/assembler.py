# Out-of-order receive tracker (like smoltcp's Assembler).
#
# Records which byte ranges after the receive point (rcv_nxt) are already
# parked in the receive ring (RingBuffer.write_at) but not yet readable.
# All offsets are relative to the receive point and stay below 2**30 (the
# receive window bounds them), so they are small ints on every port.
#
# Ranges are kept sorted, disjoint and non-adjacent (touching ranges merge),
# at most `max_gaps` of them, in preallocated lists. Each range also carries
# a recency stamp: the value of a counter bumped on every add(), so SACK
# blocks can be reported most recent first (RFC 2018 section 4).
#
# Memory: every method is allocation-free on MicroPython. Not interrupt-safe.
from micropython import const

_CLOCK_LIMIT = const(0x10000000)  # renumber stamps before the counter nears 2**30


class Assembler:
    def __init__(self, max_gaps):
        if max_gaps < 1:
            raise ValueError("Assembler needs max_gaps >= 1")
        self.max_gaps = max_gaps
        self._start = [0] * max_gaps
        self._end = [0] * max_gaps
        self._stamp = [0] * max_gaps
        self.n = 0                 # ranges held (read it, never write it)
        self._clock = 0

    def clear(self):
        self.n = 0
        self._clock = 0

    def is_empty(self):
        return self.n == 0

    def count(self):
        return self.n

    def start(self, i):
        """Offset of the first byte of range i (ranges sorted by offset)."""
        return self._start[i]

    def end(self, i):
        """Offset one past the last byte of range i."""
        return self._end[i]

    def covers(self, offset, size):
        """True if [offset, offset+size) is already held (a duplicate)."""
        st = self._start
        en = self._end
        for i in range(self.n):
            if st[i] <= offset:
                if offset + size <= en[i]:
                    return True
            else:
                break
        return False

    # --- recording ---------------------------------------------------------
    def add(self, offset, size):
        """Record that [offset, offset+size) has arrived. Overlapping and
        adjacent ranges merge. Returns False, changing nothing, if the data
        would need more than max_gaps separate ranges."""
        if offset < 0:          # bytes before the receive point: already had
            size += offset
            offset = 0
        if size <= 0:
            return True
        end = offset + size
        st = self._start
        en = self._end
        i = 0
        while i < self.n and en[i] < offset:     # first range touching or after
            i += 1
        # every range touching the new one merges into it: taken out, the
        # new one grows over it
        while i < self.n and st[i] <= end:
            if st[i] < offset:
                offset = st[i]
            if en[i] > end:
                end = en[i]
            self.n -= 1
            k = i
            while k < self.n:
                st[k] = st[k + 1]
                en[k] = en[k + 1]
                self._stamp[k] = self._stamp[k + 1]
                k += 1
        if self.n == self.max_gaps:
            return False                   # (nothing merged: nothing changed)
        k = self.n
        while k > i:                       # open a slot at i
            st[k] = st[k - 1]
            en[k] = en[k - 1]
            self._stamp[k] = self._stamp[k - 1]
            k -= 1
        st[i] = offset
        en[i] = end
        self.n += 1
        # (a renumbering inside _tick may rank slot i's stale stamp; it is
        # overwritten right after)
        self._stamp[i] = self._tick()
        return True

    def remove_front(self):
        """If data at offset 0 is present, forget that leading range and
        return its size (the caller advances rcv_nxt and commits that many
        ring bytes); the remaining offsets shift down by it. Else 0."""
        if self.n == 0 or self._start[0] != 0:
            return 0
        size = self._end[0]
        self._drop_first(size)
        return size

    def add_then_remove_front(self, offset, size):
        """add() and remove_front() in one: the number of bytes now
        contiguous at the receive point (0 if none), or -1 if the segment
        could not be recorded (too many gaps). An in-order segment that
        touches no parked range needs no slot, so it succeeds even when
        the assembler is full."""
        if offset <= 0 and offset + size > 0:
            end = offset + size
            if self.n == 0:
                return end                 # (every segment of an in-order stream)
            if self._start[0] > end:
                self._shift(end)
                return end
        if not self.add(offset, size):
            return -1
        return self.remove_front()

    def _drop_first(self, size):
        st = self._start
        en = self._end
        sp = self._stamp
        self.n -= 1
        k = 0
        while k < self.n:
            st[k] = st[k + 1] - size
            en[k] = en[k + 1] - size
            sp[k] = sp[k + 1]
            k += 1

    def _shift(self, size):
        st = self._start
        en = self._end
        for k in range(self.n):
            st[k] -= size
            en[k] -= size

    def _tick(self):
        c = self._clock + 1
        if c >= _CLOCK_LIMIT:
            c = self._renumber()
        self._clock = c
        return c

    def _renumber(self):
        # rewrite stamps as ranks 1..n keeping their order (oldest first);
        # a rank is stored negated until the pass ends. Returns n + 1.
        sp = self._stamp
        n = self.n
        for r in range(1, n + 1):
            best = -1
            low = _CLOCK_LIMIT
            for i in range(n):
                s = sp[i]
                if 0 < s < low:
                    low = s
                    best = i
            if best >= 0:
                sp[best] = -r
        for i in range(n):
            sp[i] = -sp[i]
        return n + 1

    # --- SACK generation (RFC 2018 section 4) ----------------------------------
    def sack_index(self, k):
        """Index of the k-th most recently updated range (0 = the range
        holding the latest segment, which RFC 2018 requires as the first
        SACK block), or -1 if there are not that many ranges."""
        if k >= self.n or k < 0:
            return -1
        sp = self._stamp
        bound = self._clock + 1
        best = -1
        while k >= 0:
            best = -1
            top = 0
            i = 0
            while i < self.n:
                if top < sp[i] < bound:
                    top = sp[i]
                    best = i
                i += 1
            bound = top
            k -= 1
        return best

    def sack_start(self, k):
        """Start offset of the k-th most recent range (-1 if none)."""
        i = self.sack_index(k)
        return self._start[i] if i >= 0 else -1

    def sack_end(self, k):
        """End offset of the k-th most recent range (-1 if none)."""
        i = self.sack_index(k)
        return self._end[i] if i >= 0 else -1
