# RACK: time-based loss detection (RFC 8985 section 6) for a TcpSocket with
# SACK. A segment is lost once a segment *sent after it* has been delivered
# (ACKed or SACKed) and a reordering window has passed; this also catches
# lost retransmissions and tail losses that duplicate-ACK counting and
# RFC 6675 IsLost miss (they need DupThresh segments SACKed above the hole,
# and a retransmission is never resent before an RTO).
#
# Transmission records: one per segment sent, in sequence order, contiguous
# from `base` (the first unacknowledged record's start), kept in a
# preallocated ring: end (send-relative sequence offset, tcp_seq.py), the
# ms tick it was last (re)sent (RACK's Segment.xmit_ts) and flags. A full
# ring merges a new segment into the last record with the newer time: that
# only makes loss detection later, never wrong (a record counts as
# delivered only when all of it is). A retransmission that starts or ends
# inside a record splits it, so what was resent carries its own time.
#
# Timestamps are ticks_ms values compared with ticks_diff; offsets stay in
# the send space's small-int range. Nothing here allocates. Not
# interrupt-safe.
from micropython import const
from time import ticks_add, ticks_diff

_RTX = const(1)        # (re)sent again since first sent
_SACKED = const(2)     # every byte SACKed
_LOST = const(4)       # marked lost, not resent since (RFC 8985 6.2 step 5)
_WAS_LOST = const(8)   # resent after being marked lost: the original is gone

# copy of smolnet/socket/tcp_sack.py's _DUPTHRESH (inlined here; test_const_copies.py checks)
_DUPTHRESH = const(3)


class Rack:
    records = True     # (tcp_sack.NoRack: False) s.rack_rec, tcp_conn.establish

    def __init__(self, cap):
        if cap < 2:
            cap = 2
        self.cap = cap
        self._end = [0] * cap
        self._ts = [0] * cap
        self._fl = [0] * cap
        self.marked = 0        # counter: segments marked lost by RACK
        self.clear()

    def clear(self):
        self._h = 0            # ring head
        self._n = 0            # records held
        self.base = 0          # start of the first record
        self.has = False       # RACK.xmit_ts / end_seq / rtt are set
        self.xmit_ts = 0       # RACK.xmit_ts: latest send time delivered
        self.end_seq = 0       # RACK.end_seq
        self.rtt = 0           # RACK.rtt
        self.min_rtt = -1      # RACK.min_RTT (-1: none yet)
        self.fack = 0          # RACK.fack: highest end delivered
        self.reord = False     # RACK.reordering_seen
        self.sacked_n = 0      # records SACKed (RACK.segs_sacked)
        self.lost_n = 0        # records marked lost and not resent
        self.was_n = 0         # records resent after being marked lost
        self.rtx_n = 0         # records resent (time order != sequence order)
        self.timer_on = False  # the reordering timer (RFC 8985 6.3)
        self.timer_at = 0

    def count(self):
        return self._n

    def _i(self, k):
        i = self._h + k
        return i - self.cap if i >= self.cap else i

    def start(self, k):
        return self.base if k == 0 else self._end[self._i(k - 1)]

    def end(self, k):
        return self._end[self._i(k)]

    def flags(self, k):
        return self._fl[self._i(k)]

    def ts(self, k):
        return self._ts[self._i(k)]

    # --- transmissions (RFC 8985 6.1) ------------------------------------------
    def sent(self, seq, end, now):
        """[seq, end) went out at `now` (new data, or sent again)."""
        i = self._h + self._n - 1      # the last record (_i inline: per segment)
        if i >= self.cap:
            i -= self.cap
        if self._n:
            top = self._end[i]
        else:
            self.base = seq
            top = seq
        if seq < top:
            self._resent(seq, end, now)
        if end > top:
            if self._n == self.cap:
                # full: the last record grows and takes the newer time; it
                # now holds bytes in flight, so it is neither SACKed nor lost
                if self._fl[i] & _SACKED:
                    self.sacked_n -= 1
                if self._fl[i] & _LOST:
                    self.lost_n -= 1
                self._fl[i] &= _RTX | _WAS_LOST
                self._end[i] = end
                self._ts[i] = now
                return
            i += 1
            if i >= self.cap:
                i -= self.cap
            self._end[i] = end
            self._ts[i] = now
            self._fl[i] = 0
            self._n += 1

    def _resent(self, seq, end, now):
        # [seq, end) sent again (what lies past the last record, new data,
        # sent() records after this)
        if seq < self.base:
            seq = self.base
        k = self._find(seq)
        if k < 0:
            return
        if self.start(k) < seq and self._split(k, seq):
            k += 1
        while k < self._n and self.start(k) < end:
            if self.end(k) > end:
                self._split(k, end)
            i = self._i(k)
            f = self._fl[i]
            if f & _LOST:
                self.lost_n -= 1
                if not f & _WAS_LOST:
                    self.was_n += 1
                    f |= _WAS_LOST
            if f & _SACKED:
                self.sacked_n -= 1
            if not f & _RTX:
                self.rtx_n += 1
            self._fl[i] = _RTX | (f & _WAS_LOST)
            self._ts[i] = now
            k += 1

    def _find(self, seq):
        # the record holding seq, or -1
        for k in range(self._n):
            if self._end[self._i(k)] > seq:
                return k
        return -1

    def _split(self, k, at):
        """Split record k at `at` (inside it): both halves keep its time and
        flags. False if the ring is full (the record stays whole)."""
        if self._n == self.cap:
            return False
        j = self._n
        while j > k:                   # records k+1.. move up one place
            a = self._i(j)
            b = self._i(j - 1)
            self._end[a] = self._end[b]
            self._ts[a] = self._ts[b]
            self._fl[a] = self._fl[b]
            j -= 1
        j = self._i(k)                 # (from here: record k's place)
        self._end[j] = at
        f = self._fl[j]
        if f & _LOST:
            self.lost_n += 1
        if f & _SACKED:
            self.sacked_n += 1
        if f & _RTX:
            self.rtx_n += 1
        if f & _WAS_LOST:
            self.was_n += 1
        self._n += 1
        return True

    # --- deliveries (RFC 8985 6.2 steps 1-3) -------------------------------------
    def acked(self, una, now):
        """SND.UNA moved to `una`: records wholly below it are delivered.
        Records never resent were sent in sequence order, so of those only
        the last one can move RACK.xmit_ts (and has the smallest RTT):
        one update for the lot keeps the per-ACK cost flat."""
        n = self._n
        h = self._h
        last = -1
        while n and self._end[h] <= una:
            f = self._fl[h]
            if f:
                if f & _SACKED:
                    self.sacked_n -= 1
                elif f & _RTX:
                    self._deliver(h, now)
                if f & _LOST:
                    self.lost_n -= 1
                if f & _RTX:
                    self.rtx_n -= 1
                if f & _WAS_LOST:
                    self.was_n -= 1
            else:
                last = h
            self.base = self._end[h]
            h += 1
            if h == self.cap:
                h = 0
            n -= 1
        self._h = h
        self._n = n
        if last >= 0:
            self._deliver(last, now)
        if n == 0:
            # all delivered: whatever goes next is sent after RACK.xmit_ts,
            # which can be forgotten (then no ticks_diff across a long idle
            # time, where ticks wrap, can misorder it)
            self.timer_on = False
            self.has = False

    def sacked(self, left, right, now):
        """A SACK block [left, right): records wholly inside are delivered."""
        k = 0
        while k < self._n:
            i = self._h + k            # (_i inline: every record)
            if i >= self.cap:
                i -= self.cap
            if self._end[i] > right:
                return
            f = self._fl[i]
            if not f & _SACKED and self.start(k) >= left:
                if f & _LOST:
                    self.lost_n -= 1       # spurious: it arrived after all
                if f & _WAS_LOST:
                    self.was_n -= 1
                self._fl[i] = (f & _RTX) | _SACKED
                self.sacked_n += 1
                self._deliver(i, now)
            k += 1

    def _deliver(self, i, now):
        t = self._ts[i]
        e = self._end[i]
        rtt = ticks_diff(now, t)
        if rtt < 0:
            rtt = 0
        if self._fl[i] & _RTX:
            # step 2: an ACK faster than any RTT seen answers the original,
            # not this retransmission: no information about its send time
            if rtt < self.min_rtt:
                return
        elif self.min_rtt < 0 or rtt < self.min_rtt:
            self.min_rtt = rtt             # step 1 (from unambiguous samples)
        if not self.has or ticks_diff(t, self.xmit_ts) > 0 or \
                (t == self.xmit_ts and e > self.end_seq):
            # RACK.rtt goes with RACK.xmit_ts: the RTT of the latest sent
            # of the delivered segments (as Linux keeps it)
            self.has = True
            self.xmit_ts = t
            self.end_seq = e
            self.rtt = rtt
        # step 3: delivered below the highest delivered without a resend
        if e > self.fack:
            self.fack = e
        elif e < self.fack and not self._fl[i] & _RTX:
            self.reord = True

    # --- loss detection (RFC 8985 6.2 steps 4-5, 6.3) ----------------------------
    def reo_wnd(self, recovering, srtt):
        """RACK.reo_wnd (step 4, without the D-SACK multiplier: smolnet
        reads no D-SACK): none while no reordering was seen and recovery is
        on or DupThresh segments are SACKed, else min_RTT/4 up to SRTT, but
        at least the clock's 1 ms: a ms clock reads a sub-ms RTT as 0, and
        a window of 0 would take any reordering for loss."""
        if not self.reord and (recovering or self.sacked_n >= _DUPTHRESH):
            return 0
        w = (self.min_rtt >> 2) if self.min_rtt > 0 else 0
        if w > srtt:
            w = srtt
        return w if w > 1 else 1

    def detect(self, now, reo_wnd):
        """Mark lost every record not delivered that was sent before
        RACK.xmit_ts by more than RACK.rtt + reo_wnd (step 5); arm the
        reordering timer for the ones still inside the window. Returns how
        many were marked."""
        self.timer_on = False
        if not self.has:
            return 0
        wait = 0
        lost = 0
        reo_wnd += self.rtt            # from here: the time a segment may take
        k = 0
        while k < self._n:
            i = self._h + k            # (_i inline: every record)
            if i >= self.cap:
                i -= self.cap
            k += 1
            if self._fl[i] & (_SACKED | _LOST):
                continue
            d = self._ts[i]
            d = ticks_diff(self.xmit_ts, d)
            if d < 0 or (d == 0 and self._end[i] >= self.end_seq):
                continue                   # not sent before the delivered one
            d = ticks_diff(self._ts[i], now) + reo_wnd      # the time left
            if d <= 0:
                self._fl[i] = self._fl[i] | _LOST
                self.lost_n += 1
                lost += 1
            elif d > wait:
                wait = d
        if wait:
            self.timer_on = True
            self.timer_at = ticks_add(now, wait)
        if lost:
            self.marked = self.marked + lost if self.marked < 0x3FFFFFFF else 0
        return lost

    def on_rto(self):
        """After an RTO the scoreboard forgets SACKs (RFC 2018 8) and
        go-back-N resends everything: so does this."""
        for k in range(self._n):
            i = self._i(k)
            self._fl[i] &= _RTX
        self.sacked_n = 0
        self.lost_n = 0
        self.was_n = 0
        self.timer_on = False

    def on_recovery(self):
        """Recovery starts (with HighRxt at SND.UNA): copies sent before it
        are the ones in flight, counted once by SetPipe like any segment;
        only resends from here on are counted below HighRxt."""
        if self.was_n:
            for k in range(self._n):
                i = self._i(k)
                self._fl[i] &= ~_WAS_LOST
            self.was_n = 0

    def rebase(self, k):
        """The send base moved up by k (tcp_seq.py)."""
        for j in range(self._n):
            i = self._i(j)
            self._end[i] -= k
        self.base -= k
        self.end_seq -= k
        self.fack -= k

    # --- what the lost records mean for RFC 6675 NextSeg and pipe ----------------
    def first_lost(self, sb, una, from_off):
        """Offset (from una) of the first unSACKed byte at or after from_off
        in a record marked lost, its length in sb.hole_len; -1 if none."""
        if not self.lost_n:
            return -1
        k = 0
        while k < self._n:
            if self.flags(k) & _LOST:
                a = self.start(k) - una
                b = self.end(k) - una
                if a < from_off:
                    a = from_off
                if b > a:
                    a = sb.unsacked_in(a, b)     # the first unSACKed byte in it
                    if a >= 0:
                        return a
            k += 1
        return -1

    def pipe_excess(self, sb, una, edge, hrx):
        """Bytes RFC 6675 SetPipe counts in flight that RACK knows are not:
        the original transmission of a record marked lost (counted when
        RFC 6675 IsLost does not hold), and a resent copy marked lost again
        (counted below HighRxt). RFC 8985 6.2 step 5: lost is lost."""
        if not self.lost_n and not self.was_n:
            return 0
        x = 0
        for k in range(self._n):
            f = self.flags(k)
            if not f & (_LOST | _WAS_LOST):
                continue
            a = self.start(k) - una
            b = self.end(k) - una
            if a < 0:
                a = 0
            if b <= a:
                continue
            lo = a if a > edge else edge
            if b > lo:
                x += (b - lo) - sb.sacked_in(lo, b)
            if f & _LOST:
                hi = b if b < hrx else hrx
                if hi > a:
                    x += (hi - a) - sb.sacked_in(a, hi)
        return x
