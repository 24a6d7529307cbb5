# What the sender does with an acceptable ACK (RFC 9293 3.10.7.4 fifth):
# free acknowledged bytes, sample the RTT (RFC 6298, RFC 7323 4), drive
# congestion control and loss recovery (RFC 5681, RFC 6582 NewReno, RFC 6675
# SACK), track the peer's window. All offsets are relative to the send base
# (tcp_seq.py). Nothing here allocates.
#
# SEG, the segment being processed, is here too: tcp_rx fills it, both
# modules read it.
from micropython import const
from time import ticks_add, ticks_diff
from ..fast import seq_get
from ..wire.tcp import Options
from .tcp_seq import rebase_snd as _rebase_snd

# copies of smolnet/socket/tcp_timers.py's constants
_SAMPLE_MAX = const(0x100000)

# copy of smolnet/socket/tcp_sack.py's _DUPTHRESH (inlined here; test_const_copies.py checks)
_DUPTHRESH = const(3)       # RFC 5681 3.2 / RFC 6675 DupThresh
# copy of smolnet/wire/tcp.py's flags
_FIN = const(0x01)
_TS_LEN = const(12)
# copies of smolnet/socket/tcp_seq.py's offset limits (inlined here; test_const_copies.py checks)
_REBASE = const(0x08000000)
_WND_MAX = const(0x10000000)
# copy of smolnet/socket/tcp.py's ESTABLISHED state
_ESTABLISHED = const(4)
_PTO_MIN = const(10)        # ms: a probe never sooner than this
_WC_DELACK = const(200)     # RFC 8985 7.2: worst-case delayed ACK of one segment


class Segment(Options):
    """The segment being processed: RFC 9293 3.3.1's current segment
    variables that the receive path reads more than once (SEG.SEQ and
    SEG.ACK as offsets from the receive and send bases, tcp_seq.py; the
    data's length and where it starts in the frame) and its options
    (wire.tcp.parse; mss, ws and sack_perm only as a SYN's, the only
    segment they are read from). tcp_rx.process() fills it, and it holds until
    process() returns; the Interface hands segments over one at a time, so
    one serves every socket. The per-segment functions read it here rather
    than take a long list of arguments: their call frames then fit the C
    stack (11 words on a board; more come from the heap on every call)."""

    def __init__(self):
        super().__init__()
        self.seq = 0          # SEG.SEQ - the receive base
        self.ack = 0          # SEG.ACK - the send base (ACK segments only)
        self.dlen = 0         # data bytes (SEG.LEN without SYN and FIN)
        self.doff = 0         # where the data starts in the frame


SEG = Segment()


def ts_now(s, now):
    """Advance our TSval clock (two halves) to `now`."""
    d = ticks_diff(now, s.ts_last)
    if d > 0:
        d += s.ts_lo
        if d > 0xFFFF:           # the carry into the high half
            s.ts_hi = (s.ts_hi + (d >> 16)) & 0xFFFF
            d &= 0xFFFF
        s.ts_lo = d
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


def rtt_sample(s, b, now):
    """One RTT measurement from an ACK (SEG.ack) that advances SND.UNA: from
    TSecr when timestamps are on (RFC 7323 4.1), else from the one timed
    segment if it was not retransmitted (Karn). Returns the sample in ms or
    -1."""
    if s.rtx_marked and SEG.ack >= s.rtx_mark:
        s.rtx_marked = False
    if SEG.ts:                   # (tcp_rx clears it unless s.ts_ok)
        # TSecr - our clock now: the clock as ts_now() last moved it, less
        # the ms since (what ts_now() would add; tcp_emit moves it on)
        d = seq_get(b, SEG.ts_off + 4, s.ts_hi, s.ts_lo)
        e = ticks_diff(now, s.ts_last)
        if e > 0:
            d -= e
        if s.rtx_marked and seq_get(b, SEG.ts_off + 4, s.rtx_ts_hi, s.rtx_ts_lo) < 0:
            # the echo predates our last retransmission: the peer may be
            # acknowledging the original (a spurious retransmission, whose
            # duplicate it did not echo), so the time is unknown (Karn's
            # ambiguity, which RFC 7323 4.3 leaves to the implementation)
            d = 1
        if -_SAMPLE_MAX <= d <= 0:
            s.rtt_on = False
            s.rtte.sample(-d)
            return -d
    if s.rtt_on and SEG.ack > s.rtt_seq:
        s.rtt_on = False
        d = ticks_diff(now, s.rtt_t0)
        if d >= 0:
            s.rtte.sample(d)
            return d
    return -1


def wnd_from(s, b, l4_off):
    """SEG.WND scaled (RFC 7323 2.3), clamped to WND_MAX."""
    w = (b[l4_off + 14] << 8) | b[l4_off + 15]
    if s.snd_ws and w > (_WND_MAX >> s.snd_ws):
        return _WND_MAX
    return w << s.snd_ws


def on_ack(s, b, l4_off, now):
    """ACK processing for the acceptable segment in SEG (its header at
    b[l4_off]), in a synchronized state; SND.UNA - MAX.SND.WND <= SEG.ACK
    <= SND.MAX has been checked."""
    if s.snd_max > s.snd_una:
        # data in flight (else nothing to ACK, and RACK delivered all of it)
        if SEG.ack > s.snd_una:
            r = rtt_sample(s, b, now)
            _ack_new(s, r, now)
            if s.sack_ok and SEG.sack_n and s.snd_max > s.snd_una and \
                    _sack_blocks(s, b) and not s.in_recovery and s.sb.is_lost(0):
                _enter_recovery(s, now)  # the SACK blocks show a loss (RFC 6675 5)
        else:
            _ack_old(s, b, l4_off, now)  # nothing new ACKed while data is out
        if s.sack_ok and s.rack.has and (s.rack.sacked_n or s.rack.rtx_n or s.rack.timer_on):
            rack_detect(s, now)      # only when time and sequence order differ
    # the window update (RFC 9293 3.10.7.4 fifth), only from a segment newer
    # than the last one used (SEG.WND as wnd_from() reads it, inline: every
    # segment)
    if s.snd_wl1 < SEG.seq or (s.snd_wl1 == SEG.seq and s.snd_wl2 <= SEG.ack):
        win = (b[l4_off + 14] << 8) | b[l4_off + 15]
        if s.snd_ws:
            win = _WND_MAX if win > (_WND_MAX >> s.snd_ws) else win << s.snd_ws
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
        s.snd_wl1 = SEG.seq
        s.snd_wl2 = SEG.ack
    if s.snd_una > _REBASE:
        _rebase_snd(s)       # last: SEG.ack above is relative to the old base


def _ack_old(s, b, l4_off, now):
    """SEG.ACK <= SND.UNA with data out. A duplicate ACK (RFC 5681 2: it
    acknowledges SND.UNA and carries no data, no FIN and the same window;
    RFC 6675 2 counts too any that brings new SACK information, also one
    with data, both directions busy, or a new window); else its SACK blocks
    alone may show a loss."""
    sacked = s.sack_ok and SEG.sack_n and _sack_blocks(s, b)
    if SEG.ack == s.snd_una and (sacked or (SEG.dlen == 0 and not b[l4_off + 13] & _FIN and
                                            s.snd_wnd and wnd_from(s, b, l4_off) == s.snd_wnd)):
        _dupack(s, now)
    elif sacked and not s.in_recovery and s.sb.is_lost(0):
        _enter_recovery(s, now)


def _sack_blocks(s, b):
    """Feed the SACK blocks into the scoreboard (RFC 6675 5), as offsets
    from SND.UNA, and into RACK's records (delivered at s.last_rx: now,
    this segment's arrival). Returns True if they told us something new."""
    before = s.sb.sacked_bytes()
    p = SEG.sack_off
    while p < SEG.sack_off + (SEG.sack_n << 3):
        left = seq_get(b, p, s.snd_bhi, s.snd_blo)
        right = seq_get(b, p + 4, s.snd_bhi, s.snd_blo)
        p += 8
        # RFC 2883 D-SACK blocks (below SND.UNA) and nonsense are ignored
        if left < s.snd_una:
            left = s.snd_una
        if right > s.snd_max:
            right = s.snd_max
        if right > left:
            s.sb.add(left - s.snd_una, right - s.snd_una)
            s.rack.sacked(left, right, s.last_rx)
    return s.sb.sacked_bytes() > before


def _ack_new(s, r, now):
    """SEG.ACK > SND.UNA: new data acknowledged (r: the RTT sample it gave,
    ms, or -1). Frees the send buffer, moves SND.UNA, drives congestion
    control and recovery, restarts the retransmission timer."""
    acked = SEG.ack - s.snd_una
    flight = s.snd_max - s.snd_una       # FlightSize before this ACK
    if s.syn_unacked:
        s.syn_unacked = 0
        s.tx.discard(acked - 1)          # one of them was our SYN
    else:
        s.tx.discard(acked)              # (it stops at the buffer's end: our FIN)
    s.snd_una = SEG.ack
    if s.snd_nxt < s.snd_una:
        s.snd_nxt = s.snd_una
    s.una_since = now
    s.probing = False
    if s.sack_ok:
        if s.sb.n:
            s.sb.on_ack_advance(acked)
        if s.rack_rec:
            s.rack.acked(s.snd_una, now)
    if s.in_recovery:
        if s.snd_una >= s.recover:
            # full ACK: recovery is over (RFC 6582 3.2 step 3)
            s.in_recovery = False
            s.dupacks = 0
            s.cc.on_recovery_exit(s.snd_max - s.snd_una)
        else:
            # partial ACK: the next hole is lost too; NewReno retransmits it
            # now and deflates by the amount acked (RFC 6582 3.2 step 3);
            # with SACK the scoreboard says what to resend (RFC 6675 5)
            s.cc.on_recovery_ack(acked, True)
            if not s.sack_ok:
                s.fast_rtx = True
                s.odd = True             # (tcp_tx.odd)
    else:
        s.dupacks = 0
        s.cc.on_ack(acked, now, r, flight)
    # RFC 6298 5.2 / 5.3
    s.tlp_out = False
    if s.snd_una >= s.snd_max:
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
    rt = s.rtte
    if s.tlp and not s.tlp_out and not s.in_recovery and rt.samples and \
            not rt.backoff and s.state >= _ESTABLISHED:
        pto = (rt.srtt8 >> 3) << 1
        if s.snd_max - s.snd_una <= s.eff_mss:
            pto += _WC_DELACK
        if pto < _PTO_MIN:
            pto = _PTO_MIN
        if pto < rt.rto:
            s.rtx_on = True
            s.rtx_persist = False
            s.rtx_tlp = True
            s.rtx_at = ticks_add(now, pto)
            return
    if keep_rto and s.rtx_on and not s.rtx_tlp and not s.rtx_persist:
        return                   # the RTO runs
    s.rtx_on = True
    s.rtx_persist = False
    s.rtx_tlp = False
    s.rtx_at = ticks_add(now, rt.rto)


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
    s.rack_timer = True          # detect() may arm it: dispatch() then looks
    s.odd = True                 # (tcp_tx.odd)
    if rk.detect(now, rk.reo_wnd(s.in_recovery, (s.rtte.srtt8 >> 3))) and \
            not s.in_recovery and s.snd_max > s.snd_una:
        _enter_recovery(s, now)


def _enter_recovery(s, now):
    # RFC 6582 3.2 step 2: not again for losses from before the last
    # recovery (the ACK must cover more than `recover`)
    if s.snd_una >= s.recover:
        cc = s.cc
        s.in_recovery = True
        s.odd = True             # (tcp_tx.odd: also fast_rtx below)
        s.recoveries += 1
        s.recover = s.snd_max
        cc.on_fast_retransmit(s.snd_max - s.snd_una, now, s.sack_ok)
        s.fast_rtx = True
        s.high_rxt = s.snd_una
        if s.sack_ok:
            s.rack.on_recovery()
        s.rtt_on = False

