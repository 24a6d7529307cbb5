# Sender-side SACK scoreboard (RFC 6675, RFC 2018).
#
# Records which bytes above snd_una the peer has SACKed. Offsets are
# relative to snd_una (so they stay small ints; the send window bounds them
# below 2**30) and ranges [start, end) are kept sorted, disjoint and merged
# when they touch, in preallocated lists of at most `max_blocks` ranges.
# When a new block would need one range too many, the highest range of the
# union is dropped: holes near snd_una are what retransmission needs, and
# forgetting a SACK only makes the sender more conservative (the bytes count
# as in flight and may be resent), never wrong.
#
# Use per incoming ACK: on_ack_advance(bytes newly ACKed), then add() each
# SACK block converted to offsets from the new snd_una (blocks at or below
# 0, e.g. D-SACK, are ignored; the caller rejects blocks beyond snd_nxt).
#
# Loss and pipe follow RFC 6675 section 4: IsLost(S) holds when at least
# DupThresh separate SACKed ranges lie above S, or more than
# (DupThresh - 1) * SMSS SACKed bytes do. Both counts only grow as S goes
# down, so every unSACKed byte below lost_edge() is lost and none above it.
#
# Memory: every method is allocation-free on MicroPython. Not interrupt-safe.
from micropython import const

_DUPTHRESH = const(3)  # RFC 6675 section 2 / RFC 5681 3.2


class Scoreboard:
    def __init__(self, max_blocks, mss=536):
        if max_blocks < 1:
            raise ValueError("Scoreboard needs max_blocks >= 1")
        self.max_blocks = max_blocks
        self.mss = mss
        self.dupthresh = _DUPTHRESH
        self._start = [0] * max_blocks
        self._end = [0] * max_blocks
        self.n = 0            # ranges held (read it, never write it)
        self._sacked = 0      # total SACKed bytes
        self.hole_len = 0     # set by next_hole / next_lost

    def clear(self):
        """Forget all SACK information (e.g. after an RTO, RFC 6675 5.1)."""
        self.n = 0
        self._sacked = 0
        self.hole_len = 0

    def set_mss(self, mss):
        self.mss = mss

    def is_empty(self):
        return self.n == 0

    def count(self):
        return self.n

    def start(self, i):
        return self._start[i]

    def end(self, i):
        return self._end[i]

    def sacked_bytes(self):
        return self._sacked

    def high_sacked(self):
        """Offset one past the highest SACKed byte (0 if none): RFC 6675's
        HighSACK + 1."""
        n = self.n
        return self._end[n - 1] if n else 0

    # --- updates -------------------------------------------------------------
    def add(self, start, end):
        """Record a SACK block [start, end) (offsets from snd_una). Returns
        False if information had to be dropped (see the module comment)."""
        if start < 0:
            start = 0
        if end <= start:
            return True
        st = self._start
        en = self._end
        i = 0
        while i < self.n and en[i] < start:     # first range touching or after
            i += 1
        # every range touching the block merges into it: taken out (its
        # bytes are counted again with the block's), the block grows over it
        while i < self.n and st[i] <= end:
            if st[i] < start:
                start = st[i]
            if en[i] > end:
                end = en[i]
            k = en[i] - st[i]
            self._sacked -= k
            self.n -= 1
            k = i
            while k < self.n:
                st[k] = st[k + 1]
                en[k] = en[k + 1]
                k += 1
        kept = self.n < self.max_blocks
        if not kept:
            if i == self.n:
                return False               # the block is the highest: drop it
            self.n -= 1                    # drop the highest range instead
            k = en[self.n] - st[self.n]
            self._sacked -= k
        k = self.n
        while k > i:                       # open a slot at i
            st[k] = st[k - 1]
            en[k] = en[k - 1]
            k -= 1
        st[i] = start
        en[i] = end
        k = end - start
        self._sacked += k
        self.n += 1
        return kept

    def on_ack_advance(self, n):
        """snd_una moved up by n bytes: shift all offsets down, forgetting
        what is now cumulatively ACKed."""
        if n <= 0:
            return
        st = self._start
        en = self._end
        drop = 0                       # ranges wholly ACKed now
        while drop < self.n and en[drop] <= n:
            self._sacked -= en[drop] - st[drop]
            drop += 1
        if drop < self.n and st[drop] < n:
            self._sacked -= n - st[drop]
            st[drop] = n
        k = drop
        while k < self.n:
            st[k - drop] = st[k] - n
            en[k - drop] = en[k] - n
            k += 1
        self.n -= drop

    # --- queries ---------------------------------------------------------------
    def is_sacked(self, offset, size):
        """True if all of [offset, offset+size) has been SACKed."""
        st = self._start
        en = self._end
        for i in range(self.n):
            if st[i] > offset:
                return False
            if offset + size <= en[i]:
                return True
        return False

    def sacked_in(self, a, b):
        """SACKed bytes within [a, b)."""
        st = self._start
        en = self._end
        total = 0
        i = 0
        while i < self.n:
            k = en[i] if en[i] < b else b        # the overlap's end,
            k -= st[i] if st[i] > a else a       # less its start
            if k > 0:
                total += k
            i += 1
        return total

    def sacked_above(self, offset):
        """SACKed bytes at offsets greater than `offset`."""
        return self.sacked_in(offset + 1, self.high_sacked())

    def next_hole(self, from_offset):
        """Offset of the first unSACKed byte at or after from_offset that
        lies below high_sacked() (a hole the peer reported around), or -1.
        Its length (up to the next SACKed range) is left in hole_len."""
        pos = from_offset if from_offset > 0 else 0
        st = self._start
        en = self._end
        for i in range(self.n):
            if en[i] <= pos:
                continue
            if st[i] > pos:
                self.hole_len = st[i] - pos
                return pos
            pos = en[i]
        self.hole_len = 0
        return -1

    def unsacked_in(self, a, b):
        """Offset of the first unSACKed byte in [a, b), or -1; the length of
        the unSACKed run from there (clipped to b) is left in hole_len."""
        pos = a
        st = self._start
        en = self._end
        i = 0
        while i < self.n and st[i] <= pos:
            if en[i] > pos:
                pos = en[i]
            i += 1
        if pos >= b:
            self.hole_len = 0
            return -1
        # (range i, if any, is the first above pos)
        self.hole_len = (st[i] if i < self.n and st[i] < b else b) - pos
        return pos

    def lost_edge(self):
        """Every unSACKed byte below this offset is lost per RFC 6675
        IsLost; none at or above it is."""
        st = self._start
        en = self._end
        limit = (self.dupthresh - 1) * self.mss
        above = 0
        k = self.n - 1
        while k >= 0:
            above += en[k] - st[k]
            if self.n - k >= self.dupthresh or above > limit:
                return st[k]
            k -= 1
        return 0

    def is_lost(self, offset):
        """RFC 6675 IsLost for the byte at `offset` (False if SACKed)."""
        if offset >= self.lost_edge():
            return False
        return not self.is_sacked(offset, 1)

    def next_lost(self, from_offset):
        """Like next_hole, but only holes below lost_edge() (RFC 6675 NextSeg
        rule 1 candidates: pass HighRxt's offset as from_offset); hole_len
        is clipped to the edge."""
        edge = self.lost_edge()
        pos = self.next_hole(from_offset)
        if pos < 0 or pos >= edge:
            self.hole_len = 0
            return -1
        if pos + self.hole_len > edge:
            self.hole_len = edge - pos
        return pos

    def pipe(self, high_data, high_rxt):
        """RFC 6675 SetPipe, in bytes: unSACKed bytes in [0, high_data) that
        are not lost, plus unSACKed bytes in [0, high_rxt) (retransmitted).
        high_data = snd_nxt - snd_una; high_rxt = one past the highest byte
        retransmitted, as an offset (0 if none)."""
        edge = self.lost_edge()
        if edge > high_data:
            edge = high_data
        p = (high_data - edge) - self.sacked_in(edge, high_data)
        if high_rxt > high_data:
            high_rxt = high_data
        if high_rxt > 0:
            p += high_rxt - self.sacked_in(0, high_rxt)
        return p


class NoRack:
    """s.rack where RACK (tcp_rack.py) is not used: a build without it
    (firmware/manifest.py's rack option) or TcpSocket(rack=False). No
    transmission records: losses are RFC 6675's IsLost from the scoreboard
    (DupThresh SACKed segments above a hole), a lost retransmission or a
    tail loss waits for the RTO (or the tail loss probe). Stateless: one
    instance serves every socket; nothing allocates."""
    records = False    # (Rack: True) s.rack_rec, tcp_conn.establish
    has = False
    timer_on = False
    timer_at = 0
    sacked_n = 0
    rtx_n = 0
    lost_n = 0
    was_n = 0
    marked = 0

    def sent(self, seq, end, now):
        pass

    sacked = sent

    def acked(self, una, now):
        pass

    def rebase(self, k):
        pass

    def clear(self):
        pass

    on_rto = on_recovery = clear

    def first_lost(self, sb, una, from_off):
        return -1


NO_RACK = NoRack()
