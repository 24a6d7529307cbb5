# TCP congestion control, CUBIC (RFC 9438): NewReno's interface and
# recovery (tcp_cc.py), its own window growth. A module apart so that a
# board whose sockets keep the default NewReno never loads it
# (tcp_cc.create imports it for "cubic").
#
# Integer math only, as in tcp_cc.py: no float, no int >= 2**30 (31-bit
# small ints on 32-bit ports). No method allocates.
import time
from micropython import const
from .tcp_cc import NewReno

# copy of smolnet/socket/tcp_cc.py's _CWND_MAX (inlined here; test_const_copies.py checks)
_CWND_MAX = const(0x10000000)       # 256 MiB: far beyond any board's buffers

# CUBIC fixed point. Time inside the cubic is in units of 1/1024 s ("u");
# window terms are segments scaled by 1024 ("Q10").
_U_MAX = const(32767)      # |t - K| clamp: 32 s; keeps u*u below 2**30
_RATIO_MAX = const(0x1000000)  # cap of the ACKed-per-growth ratio, Q10 (16384):
                               # times an SMSS < 2**16 it stays below 2**30


# --- CUBIC -----------------------------------------------------------------------
#
# W_cubic(t) = C*(t - K)^3 + W_max (RFC 9438 eq. 1), C = 0.4 segments/s^3,
# beta = 0.7. In bytes: W_max + 0.4 * SMSS * (t - K)^3, t in seconds.
#
# With d = |t - K| in units u = 1/1024 s (d < 2**15, i.e. 32 s):
#   C * (d/1024)^3 segments, times 1024 (Q10) = 0.4 * d^3 / 2^20
#   x = d*d >> 10                 (d*d < 2**30; x < 2**20)
#   y = x*d >> 10                 taken as (x >> 10)*d + ((x & 1023)*d >> 10)
#                                 so no product reaches 2**26 (x*d would: 2**35)
#   term = y * 2 / 5
# The shifts drop low bits that matter only when d < 1 s, where the whole
# term is under 0.4 segments.
# Beyond 32 s the term is held at its 32 s value (13107 segments): cwnd
# there is limited to 1.5x per RTT anyway.
#
# K (eq. 2) = cbrt((W_max - cwnd_epoch) / C) is found by bisection over d
# with the same function, so W_cubic(K) == W_max holds exactly in this
# arithmetic: an integer cube root in 15 steps, once per congestion event.


def _cube_q10(d):
    """0.4 * (d / 1024)^3 in segments * 1024, for 0 <= d <= _U_MAX."""
    x = (d * d) >> 10
    return ((x >> 10) * d + (((x & 1023) * d) >> 10)) * 2 // 5


def _q10_to_bytes(q, mss):
    # q * mss / 1024 without forming q * mss (which may pass 2**30)
    return (q >> 10) * mss + (((q & 1023) * mss) >> 10)


def _bytes_to_q10(b, mss):
    # b * 1024 / mss without forming b << 10; past 32768 segments the value
    # is clamped (K saturates at 32 s long before: 13107 segments)
    q = b // mss
    if q >= 0x8000:
        return 0x8000 << 10
    return (q << 10) + (((b % mss) << 10) // mss)


def _ms_to_u(ms):
    if ms > 0x100000:          # 17 min: far past the 32 s clamp already
        ms = 0x100000
    return (ms << 7) // 125    # * 1024 / 1000


class Cubic(NewReno):
    def reset(self, mss):
        NewReno.reset(self, mss)
        self.fast_convergence = True   # RFC 9438 4.7
        self.w_max = 0           # bytes; 0 = no congestion event yet
        self._cwnd_prior = 0     # cwnd before the last reduction (4.3)
        self._k = 0              # K in u (1/1024 s)
        self._in_epoch = False   # a congestion avoidance stage is running
        self._epoch = 0          # its start, ticks_ms
        self._w_est = 0          # Reno-friendly estimate, bytes (4.3)
        self._est_acc = 0        # ACKed bytes not yet turned into W_est growth
        self._rto = False        # first CA stage after a timeout (4.8)
        self._idle = False       # app-limited since _idle_at (5.8)
        self._idle_at = 0
        self._rtt = 0            # last RTT passed to on_ack, ms

    def _on_congestion(self, flight_size, now_ms):
        # RFC 9438 4.6: ssthresh = flight_size * beta (0.7), at least 2*SMSS;
        # flight*0.7 is computed as flight - flight*3/10 (flight*3 < 2**30)
        s = flight_size - (flight_size * 3) // 10
        m = self.mss + self.mss
        self.ssthresh = s if s > m else m
        c = self.cwnd
        self._cwnd_prior = c
        # 4.7 fast convergence: a loss below the previous W_max means the
        # flow's share shrank; release more by lowering W_max to
        # cwnd*(1+beta)/2 = cwnd - cwnd*3/20
        if self.fast_convergence and c < self.w_max:
            self.w_max = c - (c * 3) // 20
        else:
            self.w_max = c
        self._in_epoch = False
        self._idle = False

    def _after_rto(self):
        # 4.8: the next CA stage starts with K = 0 and W_max = cwnd then
        self._rto = True

    def on_idle(self):
        NewReno.on_idle(self)
        self._in_epoch = False

    _track_app_limited = True     # (NewReno.on_ack calls _app_limited)

    def _app_limited(self, now_ms):
        # RFC 9438 5.8: app-limited time does not count towards t
        if self._in_epoch and not self._idle:
            self._idle = True
            self._idle_at = now_ms

    def _start_epoch(self, now_ms):
        c = self.cwnd
        self._in_epoch = True
        self._epoch = now_ms
        self._w_est = c
        self._est_acc = 0
        self._acked = 0
        if self._rto or self.w_max <= c:
            # after a timeout (4.8), or leaving slow start with no loss yet
            self.w_max = c
            self._k = 0
            if self._cwnd_prior < c:
                self._cwnd_prior = c
            self._rto = False
        else:
            self._k = self._cbrt_u(_bytes_to_q10(self.w_max - c, self.mss))

    def _cbrt_u(self, q):
        # smallest d (in u) with _cube_q10(d) >= q: K for a window gap of q
        lo = 0
        hi = _U_MAX
        if _cube_q10(hi) < q:
            return hi
        while lo < hi:
            mid = (lo + hi) >> 1
            if _cube_q10(mid) < q:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _w_cubic(self, t_u):
        # W_cubic at t (in u since the epoch start), bytes, in [0, _CWND_MAX]
        d = t_u - self._k
        if d >= 0:
            if d > _U_MAX:
                d = _U_MAX
            w = self.w_max + _q10_to_bytes(_cube_q10(d), self.mss)
            return w if w < _CWND_MAX else _CWND_MAX
        d = -d
        if d > _U_MAX:
            d = _U_MAX
        w = self.w_max - _q10_to_bytes(_cube_q10(d), self.mss)
        return w if w > 0 else 0

    def _avoid(self, acked, now_ms, rtt_ms):
        if not self._in_epoch:
            self._start_epoch(now_ms)
        elif self._idle:
            # resume: move the epoch start forward by the app-limited time
            self._epoch = time.ticks_add(self._epoch, time.ticks_diff(now_ms, self._idle_at))
            self._idle = False
        t = time.ticks_diff(now_ms, self._epoch)
        if t < 0:
            t = 0
        elif t > 0x100000:
            # keep the epoch within ticks range; W_cubic is flat out there
            self._epoch = time.ticks_add(now_ms, -0x100000)
            t = 0x100000
        c = self.cwnd
        mss = self.mss
        # Reno-friendly estimate (4.3): W_est += alpha * SMSS per cwnd bytes
        # ACKed, alpha = 3(1-beta)/(1+beta) = 9/17 until W_est reaches
        # cwnd_prior, then 1. "cwnd*17/9 bytes per SMSS" = c + (c//9)*8.
        self._est_acc += acked
        per = c if self._w_est >= self._cwnd_prior else c + (c // 9) * 8
        if self._est_acc >= per:
            k = self._est_acc // per       # whole steps, without a loop
            self._est_acc -= k * per
            room = (_CWND_MAX - self._w_est) // mss
            self._w_est += (k if k < room else room) * mss
        if self._w_cubic(_ms_to_u(t)) < self._w_est:
            # Reno-friendly region: cwnd follows W_est
            if self._w_est > c:
                self.cwnd = self._w_est
            return
        # concave / convex region (4.4, 4.5): aim at W_cubic(t + RTT),
        # bounded to [cwnd, 1.5 cwnd], growing (target - cwnd)/cwnd per SMSS.
        # An ACK without an RTT sample (rtt_ms < 0) uses the last one seen.
        if rtt_ms >= 0:
            self._rtt = rtt_ms
        else:
            rtt_ms = self._rtt
        target = self._w_cubic(_ms_to_u(t + rtt_ms))
        top = c + (c >> 1)
        if target > top:
            target = top
        self._grow(acked, target - c)

    def _grow(self, acked, gap):
        # add one SMSS per (cwnd/gap)*SMSS bytes ACKed. The ratio cwnd/gap is
        # taken in Q10 after scaling both down so cwnd << 10 fits in 2**30.
        if gap <= 0:
            return
        c = self.cwnd
        while c >= 0x80000:
            c >>= 1
            gap >>= 1
        if gap <= 0:
            return
        ratio = (c << 10) // gap
        if ratio > _RATIO_MAX:
            ratio = _RATIO_MAX
        need = _q10_to_bytes(ratio, self.mss)
        if need < 1:
            need = 1
        self._acked += acked
        if self._acked >= need:
            k = self._acked // need        # whole SMSS steps, without a loop
            self._acked -= k * need
            room = (_CWND_MAX - self.cwnd) // self.mss
            if k > room:
                k = room if room > 0 else 0
            self.cwnd += k * self.mss
