# TCP congestion control: NewReno (RFC 5681, 6582, 3465) here, CUBIC (RFC 9438)
# in tcp_cubic.py, imported only by a socket that asks for it (board RAM).
#
# One interface, chosen per socket (TcpSocket(cc=...), tcp.congestion_control):
#   cc.cwnd, cc.ssthresh     bytes
#   cc.mss                   the sender's SMSS
#   cc.recovering            True between on_fast_retransmit and on_recovery_exit
#   on_ack(acked, now_ms, rtt_ms, flight_size)   new data ACKed outside recovery
#                            (rtt_ms: smoothed RTT, or this ACK's sample, or
#                            -1 for none: CUBIC then keeps the last one)
#   on_fast_retransmit(flight_size, now_ms, sack=False)
#   on_dup_ack()                                 another dup ACK in recovery
#   on_recovery_ack(acked, partial)              ACK of new data in recovery
#   on_recovery_exit(flight_size=-1)
#   on_rto(flight_size, now_ms, repeated=False)
#   on_idle()                                    restart after an idle RTO
#   set_mss(mss), reset(mss)
#
# `flight_size` is the number of bytes that were outstanding when the event
# happened (for on_ack: before the ACKed bytes are taken off). on_ack uses it
# to grow cwnd only while the window is being used (RFC 7661: a window less
# than half used is not validated; RFC 9438 section 5.8 for CUBIC); pass -1
# to skip that check.
#
# Integer math only: floats are heap objects on MicroPython, and so are ints
# >= 2**30 on 32-bit ports. cwnd is capped at 2**28 bytes so every sum below
# stays under 2**30; products that could overflow are split (see comments).
# No method allocates.
from micropython import const

_CWND_MAX = const(0x10000000)       # 256 MiB: far beyond any board's buffers
_SSTHRESH_INF = const(0x20000000)   # "arbitrarily high" (RFC 5681 3.1)


def initial_window(mss):
    """IW per RFC 5681 section 3.1 (by SMSS: 2, 3 or 4 segments)."""
    if mss > 2190:
        return 2 * mss
    if mss > 1095:
        return 3 * mss
    return 4 * mss


class NewReno:
    def __init__(self, mss):
        self.reset(mss)

    def reset(self, mss):
        """Back to the state of a new connection."""
        if mss < 1:
            raise ValueError("mss must be >= 1")
        self.mss = mss
        self.cwnd = initial_window(mss)
        self.ssthresh = _SSTHRESH_INF
        self.recovering = False
        self._sack = False     # recovery per RFC 6675 (pipe) rather than inflation
        self._acked = 0        # bytes ACKed toward the next CA step (RFC 3465)
        self._fresh = True     # nothing ACKed or lost yet: IW follows set_mss

    def set_mss(self, mss):
        """New SMSS (e.g. after the peer's MSS option). Before any data is
        ACKed the initial window is recomputed for it (RFC 5681 3.1)."""
        if mss < 1:
            raise ValueError("mss must be >= 1")
        self.mss = mss
        if self._fresh:
            self.cwnd = initial_window(mss)

    def _cap(self):
        if self.cwnd > _CWND_MAX:
            self.cwnd = _CWND_MAX

    # --- normal ACKs ---------------------------------------------------------
    # on_ack() calls _app_limited() only for a controller that keeps track
    # of app-limited time (CUBIC): NewReno's would do nothing, and TCP calls
    # on_ack() for most ACKs
    _track_app_limited = False

    def on_ack(self, acked, now_ms, rtt_ms, flight_size):
        """New data ACKed (not in recovery): slow start or congestion
        avoidance."""
        if acked <= 0 or self.recovering:
            return
        self._fresh = False
        # RFC 7661: growth only while at least half the window is in use
        if 0 <= flight_size and flight_size + flight_size < self.cwnd:
            if self._track_app_limited:
                self._app_limited(now_ms)
            return
        if self.cwnd < self.ssthresh:
            self._slow_start(acked)
        else:
            self._avoid(acked, now_ms, rtt_ms)
        if self.cwnd > _CWND_MAX:        # _cap(), written out
            self.cwnd = _CWND_MAX

    def _slow_start(self, acked):
        # RFC 5681 3.1 with appropriate byte counting, L = 2*SMSS (RFC 3465
        # 2.2); stop at ssthresh, congestion avoidance takes over from there
        lim = self.mss + self.mss
        c = self.cwnd + (acked if acked < lim else lim)
        self.cwnd = c if c < self.ssthresh else self.ssthresh

    def _avoid(self, acked, now_ms, rtt_ms):
        # RFC 5681 3.1 / RFC 3465 2.1: one SMSS per cwnd bytes ACKed
        self._acked += acked
        if self._acked >= self.cwnd:
            self._acked -= self.cwnd
            self.cwnd += self.mss

    def _app_limited(self, now_ms):
        pass

    # --- loss ------------------------------------------------------------------
    def _loss_ssthresh(self, flight_size):
        # RFC 5681 eq. (4): max(FlightSize / 2, 2*SMSS)
        h = flight_size >> 1
        m = self.mss + self.mss
        return h if h > m else m

    def on_fast_retransmit(self, flight_size, now_ms, sack=False):
        """Third duplicate ACK (or RFC 6675 loss detection): enter recovery.
        NewReno inflates cwnd by the three segments that left the network
        (RFC 6582 3.2 step 3); with sack=True recovery is driven by the
        pipe estimate and cwnd = ssthresh (RFC 6675 section 5 step 4.2)."""
        if flight_size < 0 or flight_size > _CWND_MAX:
            flight_size = self.cwnd
        self._fresh = False
        self._on_congestion(flight_size, now_ms)
        self.recovering = True
        self._sack = sack
        self._acked = 0
        if sack:
            self.cwnd = self.ssthresh
        else:
            self.cwnd = self.ssthresh + 3 * self.mss
            self._cap()

    def _on_congestion(self, flight_size, now_ms):
        self.ssthresh = self._loss_ssthresh(flight_size)

    def on_dup_ack(self):
        """Each further duplicate ACK in NewReno recovery: a segment left
        the network, so inflate cwnd by SMSS (RFC 5681 3.2 step 4)."""
        if self.recovering and not self._sack:
            self.cwnd += self.mss
            self._cap()

    def on_recovery_ack(self, acked, partial):
        """An ACK during recovery. acked == 0: a duplicate (on_dup_ack).
        partial: deflate by the newly ACKed bytes and add back one SMSS if
        at least one SMSS was ACKed (RFC 6582 3.2 step 5). A full ACK
        (partial False) ends recovery (on_recovery_exit)."""
        if not self.recovering:
            return
        if acked <= 0:
            self.on_dup_ack()
        elif not partial:
            self.on_recovery_exit()
        elif not self._sack:
            c = self.cwnd - acked
            if acked >= self.mss:
                c += self.mss
            self.cwnd = c if c > self.mss else self.mss

    def on_recovery_exit(self, flight_size=-1):
        """Full ACK: leave recovery. With flight_size known, cwnd =
        min(ssthresh, max(FlightSize, SMSS) + SMSS) (RFC 6582 3.2 step 6,
        option 1, which avoids a burst), else cwnd = ssthresh (option 2)."""
        if not self.recovering:
            return
        self.recovering = False
        c = self.ssthresh
        if flight_size >= 0:
            f = flight_size if flight_size > self.mss else self.mss
            f += self.mss
            if f < c:
                c = f
        self.cwnd = c
        self._acked = 0

    def on_rto(self, flight_size, now_ms, repeated=False):
        """Retransmission timeout: cwnd = loss window of 1 SMSS (RFC 5681
        3.1); ssthresh per eq. (4), but held when the same segment times
        out again (repeated=True)."""
        if flight_size < 0 or flight_size > _CWND_MAX:
            flight_size = self.cwnd
        if not repeated:
            self._on_congestion(flight_size, now_ms)
            self._after_rto()
        self._fresh = False
        self.recovering = False
        self._acked = 0
        self.cwnd = self.mss

    def _after_rto(self):
        pass

    def on_idle(self):
        """Sending resumes after more than one RTO of idleness: cwnd =
        restart window min(IW, cwnd) (RFC 5681 section 4.1)."""
        iw = initial_window(self.mss)
        if self.cwnd > iw:
            self.cwnd = iw
        self._acked = 0
