# runtimes: cpython unix wasm
# Congestion control: NewReno rules checked step by step against RFC 5681 /
# 6582 / 3465 arithmetic, CUBIC checked against a floating-point model of
# RFC 9438 computed here (floats are fine in tests, never in tcp_cc), and
# every per-ACK method run with the heap locked (on wasm that also proves no
# int reaches 2**30).
import sys
import time
from smolnet.socket.tcp_cc import NewReno, initial_window
from smolnet.socket.tcp import congestion_control as create
from smolnet.socket.tcp_cubic import Cubic
from smolnet.socket import tcp_cubic

from support import heap_locked as _locked
from prng import XorShift


MSS = 1460


def test_initial_window_rfc5681():
    # RFC 5681 3.1: SMSS > 2190 -> 2 segments, > 1095 -> 3, else 4
    for mss, iw in ((536, 2144), (1095, 4380), (1096, 3288), (1460, 4380),
                    (2190, 6570), (2191, 4382), (9000, 18000)):
        assert initial_window(mss) == iw, mss
        assert NewReno(mss).cwnd == iw
        assert Cubic(mss).cwnd == iw
    cc = NewReno(MSS)
    assert cc.ssthresh >= 1 << 29     # "arbitrarily high"
    assert not cc.recovering


def test_create_and_bad_args():
    assert isinstance(create("cubic", MSS), Cubic)
    assert isinstance(create("newreno", MSS), NewReno)
    for bad in (lambda: create("bbr", MSS), lambda: NewReno(0),
                lambda: Cubic(MSS).set_mss(0)):
        try:
            bad()
            assert False, "accepted"
        except ValueError:
            pass


def test_set_mss_recomputes_iw_only_before_data():
    cc = NewReno(536)
    cc.set_mss(1460)
    assert cc.mss == 1460 and cc.cwnd == 4380
    cc.on_ack(1460, 0, 10, 4380)
    cc.set_mss(536)
    assert cc.mss == 536 and cc.cwnd == 5840
    cc.reset(1000)
    assert cc.cwnd == 4000 and cc.mss == 1000


def test_slow_start_byte_counting_limit():
    cc = NewReno(MSS)
    cc.on_ack(1460, 0, 10, 4380)
    assert cc.cwnd == 4380 + 1460
    cc.on_ack(500, 0, 10, 4380)                # partial segment counts bytes
    assert cc.cwnd == 4380 + 1960
    cc.on_ack(10 * MSS, 0, 10, 6340)           # stretch ACK: L = 2*SMSS
    assert cc.cwnd == 4380 + 1960 + 2 * MSS
    cc.on_ack(0, 0, 10, 6340)
    cc.on_ack(-5, 0, 10, 6340)
    assert cc.cwnd == 4380 + 1960 + 2 * MSS


def test_slow_start_stops_at_ssthresh_then_avoidance():
    cc = NewReno(1000)
    cc.ssthresh = 5000
    cc.on_ack(1000, 0, 10, 4000)
    assert cc.cwnd == 5000                     # capped at ssthresh
    # congestion avoidance: +1 SMSS per cwnd bytes ACKed (RFC 3465 2.1)
    for i in range(4):
        cc.on_ack(1000, 0, 10, 5000)
        assert cc.cwnd == 5000
    cc.on_ack(1000, 0, 10, 5000)
    assert cc.cwnd == 6000
    for i in range(5):
        cc.on_ack(1000, 0, 10, 6000)
    assert cc.cwnd == 6000
    cc.on_ack(1000, 0, 10, 6000)
    assert cc.cwnd == 7000


def test_application_limited_does_not_grow():
    for cls in (NewReno, Cubic):
        cc = cls(MSS)
        cc.on_ack(MSS, 0, 10, 2000)            # less than half of 4380 in use
        assert cc.cwnd == 4380
        cc.on_ack(MSS, 0, 10, 2190)            # exactly half: validated
        assert cc.cwnd == 4380 + MSS
        cc.on_ack(MSS, 0, 10, -1)              # unknown: no check
        assert cc.cwnd == 4380 + 2 * MSS


def test_newreno_fast_retransmit_and_recovery():
    cc = NewReno(1000)
    cc.cwnd = 20000
    cc.on_fast_retransmit(20000, 0)
    assert cc.recovering
    assert cc.ssthresh == 10000                # FlightSize / 2 (RFC 5681 eq. 4)
    assert cc.cwnd == 13000                    # + 3 SMSS (RFC 6582 step 3)
    cc.on_dup_ack()
    cc.on_recovery_ack(0, True)                # dup ACK in the other form
    assert cc.cwnd == 15000
    cc.on_ack(5000, 0, 10, 15000)              # ignored during recovery
    assert cc.cwnd == 15000
    cc.on_recovery_ack(3000, True)             # partial: deflate, + SMSS
    assert cc.cwnd == 15000 - 3000 + 1000
    cc.on_recovery_ack(500, True)              # < SMSS: no add-back
    assert cc.cwnd == 12500
    cc.on_recovery_ack(4000, False)            # full ACK -> exit, cwnd = ssthresh
    assert not cc.recovering and cc.cwnd == 10000
    cc.on_recovery_exit()                      # no-op outside recovery
    cc.on_dup_ack()
    assert cc.cwnd == 10000


def test_newreno_exit_option_1_avoids_burst():
    cc = NewReno(1000)
    cc.cwnd = 20000
    cc.on_fast_retransmit(20000, 0)
    cc.on_recovery_exit(3000)                  # min(ssthresh, max(F, SMSS) + SMSS)
    assert cc.cwnd == 4000
    cc.on_fast_retransmit(20000, 0)
    cc.on_recovery_exit(50000)
    assert cc.cwnd == cc.ssthresh == 10000
    cc.on_fast_retransmit(100, 0)              # tiny flight: ssthresh >= 2 SMSS
    assert cc.ssthresh == 2000 and cc.cwnd == 5000
    cc.on_recovery_exit(0)
    assert cc.cwnd == 2000


def test_partial_ack_deflation_floor():
    cc = NewReno(1000)
    cc.cwnd = 4000
    cc.on_fast_retransmit(4000, 0)
    cc.on_recovery_ack(50000, True)
    assert cc.cwnd == 1000


def test_sack_recovery_uses_pipe_not_inflation():
    cc = NewReno(1000)
    cc.cwnd = 20000
    cc.on_fast_retransmit(20000, 0, sack=True)
    assert cc.ssthresh == 10000 and cc.cwnd == 10000  # RFC 6675 5 step 4.2
    cc.on_dup_ack()
    cc.on_recovery_ack(3000, True)
    assert cc.cwnd == 10000
    cc.on_recovery_exit()
    assert cc.cwnd == 10000 and not cc.recovering


def test_rto():
    cc = NewReno(1000)
    cc.cwnd = 30000
    cc.on_rto(24000, 0)
    assert cc.cwnd == 1000 and cc.ssthresh == 12000
    cc.on_rto(1000, 0, repeated=True)          # same segment again: hold ssthresh
    assert cc.cwnd == 1000 and cc.ssthresh == 12000
    cc.on_rto(1000, 0)
    assert cc.ssthresh == 2000
    # an RTO in recovery leaves recovery
    cc.cwnd = 20000
    cc.on_fast_retransmit(20000, 0)
    cc.on_rto(20000, 0)
    assert not cc.recovering and cc.cwnd == 1000
    # slow start again from 1 SMSS
    cc.on_ack(1000, 0, 10, 1000)
    assert cc.cwnd == 2000


def test_idle_restart_window():
    cc = NewReno(MSS)
    cc.cwnd = 50000
    cc.on_idle()
    assert cc.cwnd == 4380
    cc.cwnd = 2000
    cc.on_idle()
    assert cc.cwnd == 2000


def test_cwnd_is_capped_below_2_30():
    for cls in (NewReno, Cubic):
        cc = cls(65000)
        for i in range(5000):
            cc.on_ack(1 << 20, i, 1, -1)
        assert cc.cwnd <= 1 << 28
        cc.on_fast_retransmit(1 << 29, 0)
        assert cc.ssthresh < 1 << 28 and cc.cwnd < 1 << 29
        for i in range(100):
            cc.on_dup_ack()
        assert cc.cwnd <= 1 << 28


# --- CUBIC ----------------------------------------------------------------------

C = 0.4
BETA = 0.7
ALPHA = 3 * (1 - BETA) / (1 + BETA)


def cbrt(x):
    return x ** (1.0 / 3) if x > 0 else 0.0


def test_cube_fixed_point_against_float():
    # 0.4 * (d/1024 s)^3 segments in Q10, over the whole clamp range
    prev = -1
    step = 1 if sys.implementation.name != "micropython" else 13
    for d in range(0, 32768, step):
        q = tcp_cubic._cube_q10(d)
        ref = 0.4 * (d / 1024) ** 3 * 1024
        assert abs(q - ref) <= 2 + ref * 0.0005, (d, q, ref)
        assert q >= prev
        prev = q
    assert tcp_cubic._cube_q10(32767) < 1 << 24
    # the window conversions round down and never overflow
    assert tcp_cubic._q10_to_bytes(1 << 24, 65535) < 1 << 30
    assert tcp_cubic._bytes_to_q10(1 << 28, 1) == 0x8000 << 10
    assert tcp_cubic._bytes_to_q10(3000, 1000) == 3072
    assert tcp_cubic._q10_to_bytes(3072, 1000) == 3000


def test_cubic_decrease_and_fast_convergence():
    cc = Cubic(1000)
    cc.cwnd = 100000
    cc.on_fast_retransmit(100000, 0)
    assert cc.ssthresh == 70000               # beta = 0.7 (RFC 9438 4.6)
    assert cc.cwnd == 73000                   # + 3 SMSS, NewReno recovery
    assert cc.w_max == 100000
    cc.on_recovery_exit()
    assert cc.cwnd == 70000
    # a loss below W_max: W_max = cwnd * (1 + beta) / 2 (4.7)
    cc.cwnd = 80000
    cc.on_fast_retransmit(80000, 0)
    assert cc.w_max == 68000 and cc.ssthresh == 56000
    cc.fast_convergence = False
    cc.cwnd = 50000
    cc.on_fast_retransmit(50000, 0)
    assert cc.w_max == 50000
    cc.on_fast_retransmit(1000, 0)
    assert cc.ssthresh == 2000                # at least 2 SMSS


def test_cubic_k_and_curve_against_float():
    for mss, wmax_seg in ((1460, 100), (1460, 10), (536, 1000), (9000, 40), (1000, 3000)):
        cc = Cubic(mss)
        cc.cwnd = wmax_seg * mss
        cc.on_fast_retransmit(cc.cwnd, 0)
        cc.on_recovery_exit()
        cc.on_ack(mss, 1000, 50, cc.cwnd)     # first CA ACK starts the epoch
        k_ref = cbrt(wmax_seg * (1 - BETA) / C)
        k = cc._k / 1024
        assert abs(k - k_ref) < 0.005, (mss, wmax_seg, k, k_ref)
        for t_ms in range(0, 40000, 250):
            t = t_ms / 1000
            d = min(abs(t - k_ref), 32.0)
            w_ref = wmax_seg + (C * d ** 3 if t >= k_ref else -C * d ** 3)
            w = cc._w_cubic(t_ms * 128 // 125) / mss
            if w_ref < 0:
                assert w == 0
            else:
                # within 0.2% of the window or a twentieth of a segment
                assert abs(w - w_ref) <= max(0.002 * w_ref, 0.05), (mss, wmax_seg, t_ms, w, w_ref)


class RefCubic:
    # RFC 9438 congestion avoidance in floating point, cwnd in segments
    def __init__(self, cwnd, w_max, prior):
        self.cwnd = cwnd
        self.w_max = w_max
        self.prior = prior
        self.epoch = None

    def w_cubic(self, t):
        return C * (t - self.k) ** 3 + self.w_max

    def ack(self, now_ms, rtt_ms):
        if self.epoch is None:
            self.epoch = now_ms
            self.w_est = self.cwnd
            if self.w_max <= self.cwnd:
                self.w_max = self.cwnd
                self.k = 0.0
            else:
                self.k = cbrt((self.w_max - self.cwnd) / C)
        t = (now_ms - self.epoch) / 1000
        a = ALPHA if self.w_est < self.prior else 1.0
        self.w_est += a / self.cwnd
        if self.w_cubic(t) < self.w_est:
            self.cwnd = max(self.cwnd, self.w_est)
            return
        target = self.w_cubic(t + rtt_ms / 1000)
        target = min(max(target, self.cwnd), 1.5 * self.cwnd)
        self.cwnd += (target - self.cwnd) / self.cwnd


def _run_ca(cc, ref, mss, rtt, rounds, t0=0):
    # ACK clocking: every RTT the whole window is ACKed, one segment per ACK
    worst = 0.0
    now = t0
    for r in range(rounds):
        n = cc.cwnd // mss
        for i in range(n):
            cc.on_ack(mss, time.ticks_add(now, i * rtt // n), rtt, cc.cwnd)
        nf = int(ref.cwnd)
        for i in range(nf):
            ref.ack(time.ticks_diff(now, t0) + i * rtt // nf, rtt)
        now = time.ticks_add(now, rtt)
        err = abs(cc.cwnd / mss - ref.cwnd) / ref.cwnd
        if err > worst:
            worst = err
    return worst


def _after_loss(mss, wmax_seg):
    cc = Cubic(mss)
    cc.cwnd = wmax_seg * mss
    cc.on_fast_retransmit(cc.cwnd, 0)
    cc.on_recovery_exit()
    ref = RefCubic(cc.cwnd / mss, wmax_seg, wmax_seg)
    return cc, ref


def test_cubic_growth_tracks_float_model_cubic_region():
    # long RTT, large window: the cubic curve governs (concave then convex)
    cc, ref = _after_loss(1460, 100)
    worst = _run_ca(cc, ref, 1460, 100, 120)
    assert worst < 0.03, worst
    assert cc.cwnd > 100 * 1460                # went through W_max into convex


def test_cubic_growth_tracks_float_model_reno_friendly_region():
    # short RTT, small window: W_est (Reno-friendly) governs
    cc, ref = _after_loss(1460, 20)
    worst = _run_ca(cc, ref, 1460, 5, 300)
    assert worst < 0.05, worst
    # Reno-friendly: about alpha = 0.53 segments per RTT until W_max, then
    # 1 per RTT: ~300 segments after 300 RTTs, where the cubic curve (K =
    # 2.5 s) would still be below 20
    assert cc.cwnd > 250 * 1460


def test_cubic_growth_same_across_ticks_wrap():
    a, ref_a = _after_loss(1460, 60)
    b, ref_b = _after_loss(1460, 60)
    _run_ca(a, ref_a, 1460, 40, 80, t0=0)
    _run_ca(b, ref_b, 1460, 40, 80, t0=time.ticks_add(0, -1500))
    assert a.cwnd == b.cwnd


def test_cubic_after_rto_starts_with_k_zero():
    cc = Cubic(1000)
    cc.cwnd = 50000
    cc.on_rto(50000, 0)
    assert cc.cwnd == 1000 and cc.ssthresh == 35000
    now = 0
    while cc.cwnd < cc.ssthresh:
        cc.on_ack(1000, now, 100, cc.cwnd)
        now += 10
    assert cc.cwnd == 35000
    cc.on_ack(1000, now, 100, cc.cwnd)        # first CA ACK: epoch start
    assert cc._k == 0 and cc.w_max == 35000
    # convex growth from W_max = cwnd: W(t) = 35 + 0.4 t^3 segments
    ref = RefCubic(35.0, 35.0, 50.0)
    ref.ack(0, 100)
    cc2 = cc
    worst = _run_ca(cc2, ref, 1000, 100, 60, t0=now)
    assert worst < 0.05, worst


def test_cubic_app_limited_time_is_not_counted():
    a, _ = _after_loss(1000, 100)
    b, _ = _after_loss(1000, 100)
    t = 0
    for i in range(20):                       # 2 s of cwnd-limited ACKs each
        a.on_ack(1000, t, 100, a.cwnd)
        b.on_ack(1000, t, 100, b.cwnd)
        t += 100
    # b goes application-limited for 5 s (ACKs with a nearly empty pipe)
    for i in range(50):
        b.on_ack(1000, t + i * 100, 100, 1000)
    t_b = t + 5000
    for i in range(30):
        a.on_ack(1000, t + i * 100, 100, a.cwnd)
        b.on_ack(1000, t_b + i * 100, 100, b.cwnd)
    assert a.cwnd == b.cwnd, (a.cwnd, b.cwnd)


def test_cubic_slow_start_then_first_epoch_without_loss():
    cc = Cubic(1000)
    cc.ssthresh = 20000
    t = 0
    while cc.cwnd < 20000:
        cc.on_ack(1000, t, 50, cc.cwnd)
        t += 10
    cc.on_ack(1000, t, 50, cc.cwnd)
    assert cc.w_max == 20000 and cc._k == 0
    c0 = cc.cwnd
    for i in range(200):
        cc.on_ack(1000, t + i * 50, 50, cc.cwnd)
    assert cc.cwnd > c0


def test_cubic_ack_without_rtt_sample_uses_last():
    a, _ = _after_loss(1000, 100)
    b, _ = _after_loss(1000, 100)
    for i in range(300):
        a.on_ack(1000, i * 20, 80, a.cwnd)
        b.on_ack(1000, i * 20, 80 if i % 7 == 0 else -1, b.cwnd)
    assert a.cwnd == b.cwnd


def test_cubic_idle_restarts_epoch():
    cc, _ = _after_loss(1000, 100)
    for i in range(10):
        cc.on_ack(1000, i * 100, 100, cc.cwnd)
    assert cc._in_epoch
    cc.on_idle()
    assert cc.cwnd == 4000 and not cc._in_epoch


def _hot(cc, big):
    # every per-segment entry point, with large windows when `big`
    mss = cc.mss
    t = 0
    base = (1 << 27) if big else 40 * mss
    for rep in range(2):
        cc.cwnd = base
        cc.ssthresh = base >> 1
        for i in range(30):
            cc.on_ack(mss, t, 40, cc.cwnd)
            t += 7
        cc.on_fast_retransmit(cc.cwnd, t)
        cc.on_dup_ack()
        cc.on_recovery_ack(0, True)
        cc.on_recovery_ack(mss * 2, True)
        cc.on_recovery_ack(mss, False)
        for i in range(30):
            cc.on_ack(mss, t, 40, cc.cwnd)
            t += 500
        cc.on_fast_retransmit(cc.cwnd, t, sack=True)
        cc.on_recovery_exit(cc.cwnd >> 2)
        for i in range(30):
            cc.on_ack(mss, t, 40, 1)            # app-limited
            t += 100
        for i in range(30):
            cc.on_ack(mss * 3, t, 40, cc.cwnd)
            t += 900
        cc.on_rto(cc.cwnd, t)
        cc.on_rto(cc.cwnd, t, repeated=True)
        cc.on_ack(mss, t, 40, cc.cwnd)
        cc.on_idle()
        cc.set_mss(mss)
    return cc.cwnd


def _events(seed, n):
    # events drawn outside the heap lock (the PRNG's 32-bit ints are heap
    # objects on wasm), stored as small ints: kind, a, b per event
    rng = XorShift(seed)
    ev = []
    for i in range(n):
        kind = rng.below(12)
        ev.append(kind)
        ev.append(rng.below(1 << (1 + rng.below(28))))     # bytes, any scale
        ev.append(rng.below(1 << (1 + rng.below(20))) - 1)  # ms, -1 possible
    return ev


def _replay(cc, ev, out):
    now = 0
    lo = 1 << 30
    hi = 0
    for i in range(0, len(ev), 3):
        kind = ev[i]
        a = ev[i + 1]
        b = ev[i + 2]
        now = time.ticks_add(now, b if b > 0 else 0)
        if kind < 5:
            cc.on_ack(a, now, b, cc.cwnd if kind < 4 else a)
        elif kind == 5:
            cc.on_fast_retransmit(a, now, b & 1 == 1)
        elif kind == 6:
            cc.on_dup_ack()
        elif kind == 7:
            cc.on_recovery_ack(a, b & 1 == 1)
        elif kind == 8:
            cc.on_recovery_exit(a if b & 1 else -1)
        elif kind == 9:
            cc.on_rto(a, now, b & 1 == 1)
        elif kind == 10:
            cc.on_idle()
        else:
            cc.on_ack(a, now, b, -1)
        c = cc.cwnd
        if c < lo:
            lo = c
        if c > hi:
            hi = c
        if cc.ssthresh < lo:
            lo = cc.ssthresh
    out[0] = lo
    out[1] = hi


def test_random_events_stay_small_and_allocation_free():
    # any order of events with any sizes: cwnd stays in [1, 2**28] and,
    # under the heap lock, no int ever needs the heap (wasm: < 2**30)
    out = [0, 0]
    for seed in (1, 2, 3, 4):
        ev = _events(seed, 400)
        for cls in (NewReno, Cubic):
            for mss in (1, 536, 1460, 9000, 65535):
                cc = cls(mss)
                _replay(cc, ev, out)
                cc.reset(mss)
                _locked(lambda: _replay(cc, ev, out))
                assert 1 <= out[0] and out[1] <= 1 << 28, (cls, mss, out)


def test_per_ack_methods_do_not_allocate():
    for cls in (NewReno, Cubic):
        for mss in (536, 1460, 9000):
            for big in (False, True):
                cc = cls(mss)
                _hot(cc, big)
                _locked(lambda: _hot(cc, big))
