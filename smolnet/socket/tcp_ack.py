# What the sender does with an acceptable ACK (RFC 9293 3.10.7.4 fifth):
# free acknowledged bytes, sample the RTT (RFC 6298, RFC 7323 4), drive
# congestion control and loss recovery (RFC 5681, RFC 6582 NewReno, RFC 6675
# SACK), track the peer's window. All offsets are relative to the send base
# (tcp_seq.py). Nothing here allocates.
from micropython import const
from time import ticks_add, ticks_diff
from ..fast import seq_get
from .tcp_seq import REBASE, WND_MAX, rebase_snd as _rebase_snd
from .tcp_timers import SAMPLE_MAX

# copy of smolnet/socket/tcp_sack.py's _DUPTHRESH (inlined here; test_const_copies.py checks)
_DUPTHRESH = const(3)       # RFC 5681 3.2 / RFC 6675 DupThresh
_TS_LEN = const(12)
# copy of smolnet/socket/tcp.py's ESTABLISHED state
_ESTABLISHED = const(4)
_PTO_MIN = const(10)        # ms: a probe never sooner than this
_WC_DELACK = const(200)     # RFC 8985 7.2: worst-case delayed ACK of one segment


def _u16(b, off):
    return (b[off] << 8) | b[off + 1]


def ts_now(s, now):
    """Advance our TSval clock (two halves) to `now`."""
    d = ticks_diff(now, s.ts_last)
    if d > 0:
        lo = s.ts_lo + d
        s.ts_hi = (s.ts_hi + (lo >> 16)) & 0xFFFF
        s.ts_lo = lo & 0xFFFF
        s.ts_last = now


def set_mss(s):
    """Effective send MSS (RFC 9293 3.7.1): the peer's MSS, capped by what our
    own link carries, less the timestamp option every segment carries."""
    m = s.snd_mss
    if m > s.mss_adv:
        m = s.mss_adv
    s.seg_mss = m
    if s.ts_ok:
        m -= _TS_LEN
    if m < 64:
        m = 64
    s.eff_mss = m
    s.cc.set_mss(m)
    if s.sack_ok:
        s.sb.set_mss(m)


def rtt_sample(s, b, now, ack):
    """One RTT measurement from an ACK that advances SND.UNA: from TSecr when
    timestamps are on (RFC 7323 4.1), else from the one timed segment if it
    was not retransmitted (Karn). Returns the sample in ms or -1."""
    o = s.opt
    if s.rtx_marked and ack >= s.rtx_mark:
        s.rtx_marked = False
    if s.ts_ok and o.ts:
        ts_now(s, now)
        d = seq_get(b, o.ts_off + 4, s.ts_hi, s.ts_lo)   # TSecr - now
        if s.rtx_marked and seq_get(b, o.ts_off + 4, s.rtx_ts_hi, s.rtx_ts_lo) < 0:
            # the echo predates our last retransmission: the peer may be
            # acknowledging the original (a spurious retransmission, whose
            # duplicate it did not echo), so the time is unknown (Karn's
            # ambiguity, which RFC 7323 4.3 leaves to the implementation)
            d = 1
        if -SAMPLE_MAX <= d <= 0:
            s.rtt_on = False
            s.rtte.sample(-d)
            return -d
    if s.rtt_on and ack > s.rtt_seq:
        s.rtt_on = False
        r = ticks_diff(now, s.rtt_t0)
        if r >= 0:
            s.rtte.sample(r)
            return r
    return -1


def wnd_from(s, b, l4_off):
    """SEG.WND scaled (RFC 7323 2.3), clamped to WND_MAX."""
    w = _u16(b, l4_off + 14)
    sh = s.snd_ws
    if sh and w > (WND_MAX >> sh):
        return WND_MAX
    return w << sh


def on_ack(s, b, l4_off, seq, ack, dlen, fin, now):
    """ACK processing for an acceptable segment in a synchronized state;
    SND.UNA - MAX.SND.WND <= ack <= SND.MAX has been checked."""
    win = wnd_from(s, b, l4_off)
    o = s.opt
    old_una = s.snd_una
    if ack > old_una:
        _ack_new(s, b, ack, now)
    sacked = False
    if s.sack_ok and o.sack_n and s.snd_max > s.snd_una:
        sacked = _sack_blocks(s, b, o, now)
    if ack == old_una and s.snd_max > s.snd_una and \
            (sacked or (dlen == 0 and not fin and win and win == s.snd_wnd)):
        # a duplicate ACK (RFC 5681 2). RFC 6675 2 counts any ACK bringing
        # new SACK information, also one that carries data (both directions
        # busy) or changes the window
        _dupack(s, now)
    elif sacked and not s.in_recovery and s.sb.is_lost(0):
        _enter_recovery(s, now)
    if s.sack_ok:
        rk = s.rack
        if rk.has and (rk.sacked_n or rk.rtx_n or rk.timer_on):
            rack_detect(s, now)      # only when time and sequence order differ
    # window update, only from a segment newer than the last one used
    if s.snd_wl1 < seq or (s.snd_wl1 == seq and s.snd_wl2 <= ack):
        if win != s.snd_wnd:
            if win > s.snd_wnd:
                s.persist_backoff = 0
                if s.probing:
                    # the window opened without taking our probe byte: send
                    # it again now rather than after a timeout
                    s.probing = False
                    s.snd_nxt = s.snd_una
            s.snd_wnd = win
            if win > s.max_snd_wnd:
                s.max_snd_wnd = win
        s.snd_wl1 = seq
        s.snd_wl2 = ack
    if s.snd_una > REBASE:
        _rebase_snd(s)       # last: `ack` above is relative to the old base


def _sack_blocks(s, b, o, now):
    """Feed the SACK blocks into the scoreboard (RFC 6675 5), as offsets
    from SND.UNA. Returns True if they told us something new."""
    sb = s.sb
    before = sb.sacked_bytes()
    una = s.snd_una
    top = s.snd_max
    p = o.sack_off
    bhi = s.snd_bhi
    blo = s.snd_blo
    for _ in range(o.sack_n):
        left = seq_get(b, p, bhi, blo)
        right = seq_get(b, p + 4, bhi, blo)
        p += 8
        # RFC 2883 D-SACK blocks (below SND.UNA) and nonsense are ignored
        if left < una:
            left = una
        if right > top:
            right = top
        if right <= left:
            continue
        sb.add(left - una, right - una)
        s.rack.sacked(left, right, now)
    return sb.sacked_bytes() > before


def _ack_new(s, b, ack, now):
    una = s.snd_una
    acked = ack - una
    flight = s.snd_max - una
    r = rtt_sample(s, b, now, ack)
    d = acked
    if s.syn_unacked:
        s.syn_unacked = 0
        d -= 1
    used = s.tx.used()
    if d > used:
        d = used                 # the rest acknowledges our FIN
    if d > 0:
        s.tx.discard(d)
    s.snd_una = ack
    if s.snd_nxt < ack:
        s.snd_nxt = ack
    s.una_since = now
    s.probing = False
    if s.sack_ok:
        s.sb.on_ack_advance(acked)
        s.rack.acked(ack, now)
    cc = s.cc
    if s.in_recovery:
        if ack >= s.recover:
            # full ACK: recovery is over (RFC 6582 3.2 step 3)
            s.in_recovery = False
            s.dupacks = 0
            cc.on_recovery_exit(s.snd_max - ack)
        else:
            # partial ACK: the next hole is lost too; NewReno retransmits it
            # now and deflates by the amount acked (RFC 6582 3.2 step 3);
            # with SACK the scoreboard says what to resend (RFC 6675 5)
            cc.on_recovery_ack(acked, True)
            if not s.sack_ok:
                s.fast_rtx = True
    else:
        s.dupacks = 0
        cc.on_ack(acked, now, r, flight)
    # RFC 6298 5.2 / 5.3
    s.tlp_out = False
    if ack >= s.snd_max:
        s.rtx_on = False
        s.rtx_persist = False
    else:
        arm_rtx(s, now)


def arm_rtx(s, now, keep_rto=False):
    """(Re)start the retransmission timer. While the ACK clock runs, the
    first expiry is a tail loss probe timeout (RFC 8985 7.2: 2*SRTT, plus a
    delayed ACK's worth when one segment is out): the probe then draws the
    SACK that starts fast recovery, where a timeout would reset cwnd.
    keep_rto: new data went out; a running RTO stays as it is (RFC 6298
    5.1) unless a probe timeout now applies."""
    running_rto = s.rtx_on and not s.rtx_tlp and not s.rtx_persist
    rto = s.rtte.rto
    if s.tlp and not s.tlp_out and not s.in_recovery and s.rtte.samples and \
            not s.rtte.backoff and s.state >= _ESTABLISHED:
        pto = s.rtte.srtt() << 1
        if s.snd_max - s.snd_una <= s.eff_mss:
            pto += _WC_DELACK
        if pto < _PTO_MIN:
            pto = _PTO_MIN
        if pto < rto:
            s.rtx_on = True
            s.rtx_persist = False
            s.rtx_tlp = True
            s.rtx_at = ticks_add(now, pto)
            return
    if keep_rto and running_rto:
        return
    s.rtx_on = True
    s.rtx_persist = False
    s.rtx_tlp = False
    s.rtx_at = ticks_add(now, rto)


def _dupack(s, now):
    s.dupacks += 1
    cc = s.cc
    if s.in_recovery:
        cc.on_dup_ack()
        return
    thresh = _DUPTHRESH
    flight = s.snd_max - s.snd_una
    if flight < 4 * s.eff_mss and not s.nodelay and \
            s.snd_una + s.syn_unacked + s.tx.used() <= s.snd_max:
        # early retransmit (RFC 5827 3.2, byte-based): fewer than four
        # segments out and no new data to send, so three duplicates can
        # never come. Only with Nagle on, where segments are full-sized.
        thresh = (flight + s.eff_mss - 1) // s.eff_mss - 1
        if thresh < 1:
            thresh = 1
    lost = s.dupacks >= thresh
    if not lost and s.sack_ok:
        lost = s.sb.is_lost(0)
    if lost:
        _enter_recovery(s, now)


def rack_detect(s, now):
    """RACK loss detection (RFC 8985 6.2 step 5, and 6.3 when the
    reordering timer fires): a segment found lost starts recovery (RFC 8985
    9.3; RFC 6675 section 5 does the retransmitting)."""
    rk = s.rack
    if rk.detect(now, rk.reo_wnd(s.in_recovery, s.rtte.srtt())) and \
            not s.in_recovery and s.snd_max > s.snd_una:
        _enter_recovery(s, now)


def _enter_recovery(s, now):
    # RFC 6582 3.2 step 2: not again for losses from before the last
    # recovery (the ACK must cover more than `recover`)
    if s.snd_una >= s.recover:
        cc = s.cc
        s.in_recovery = True
        s.recoveries += 1
        s.recover = s.snd_max
        cc.on_fast_retransmit(s.snd_max - s.snd_una, now, s.sack_ok)
        s.fast_rtx = True
        s.high_rxt = s.snd_una
        if s.sack_ok:
            s.rack.on_recovery()
        s.rtt_on = False

