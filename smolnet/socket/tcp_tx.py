# Segment emission and timers for one TcpSocket `s` (RFC 9293 3.8, 3.10).
#
# dispatch() emits at most one segment per call, choosing in this order: a
# pending RST, the SYN / SYN-ACK, a fast retransmission, SACK-driven
# retransmissions, data (new or after a timeout, go-back-N), a window probe,
# a keepalive, a pure ACK. Timers (retransmission, persist, delayed ACK,
# keepalive, TIME-WAIT) are checked here against `now`; poll_at() tells the
# Interface when the next one falls due. tcp_emit.py builds the segments:
# each sender sets s.seg_flags and s.seg_n (the data bytes) and calls
# _emit(s, iface, now, seq). Nothing here allocates.
from micropython import const
from time import ticks_add, ticks_diff
from .tcp_ack import ts_now, arm_rtx, rack_detect
from .tcp_conn import close, back_to_listen
from .tcp_emit import emit as _emit, wnd_update_due
from .tcp_sack_tx import next_seg, pipe_room

# copies of smolnet/socket/errno.py's constants
_EHOSTUNREACH = const(113)
_ETIMEDOUT = const(110)

# copies of smolnet/socket/tcp.py's states (inlined here; test_const_copies.py checks)
_CLOSED = const(0)
_LISTEN = const(1)
_SYN_SENT = const(2)
_SYN_RECEIVED = const(3)
_ESTABLISHED = const(4)
_FIN_WAIT_1 = const(5)
_FIN_WAIT_2 = const(6)
_CLOSE_WAIT = const(7)
_CLOSING = const(8)
_LAST_ACK = const(9)
_TIME_WAIT = const(10)

# copies of smolnet/wire/tcp.py's flags (_ACK is ACK_FLAG there; test_const_copies.py checks)
_FIN = const(0x01)
_SYN = const(0x02)
_RST = const(0x04)
_PSH = const(0x08)
_ACK = const(0x10)


def odd(s):
    """Whether anything but data, ACKs and the retransmission timer may
    want dispatch() or poll_at(): a RST to send, a state other than
    ESTABLISHED .. LAST_ACK, a neighbor being resolved, RACK's reordering
    timer, a fast retransmission, a loss probe, recovery, a window probe.
    s.odd says it may be so: every writer that turns one of these on (or
    changes the state) sets s.odd too, and _dispatch() clears it here, so
    that the common case looks at one field instead of nine."""
    st = s.state
    return s.rst_pending or st < _ESTABLISHED or st == _TIME_WAIT or s.hold or \
        s.rack_timer or s.fast_rtx or s.tlp_due or s.in_recovery or s.probe_due


def dispatch(s, iface, now):
    # poll_at() tells all this does: after a segment, the Interface asks it
    # whether another is due now rather than calling this again (_DUE_ASK,
    # interface.py)
    s.due_at = -3
    if s.odd or (s.rtx_on and ticks_diff(now, s.rtx_at) >= 0):
        return _dispatch(s, iface, now)
    # the common case (s.odd: none of odd()'s conditions; no timer due):
    # _dispatch() with their checks left out, and _send_data() written
    # out: a call fewer for every segment
    if s.tx.length or s.fin_queued:      # (a receiver, nothing queued, skips it)
        if _plan(s):
            if _send_at(s, iface, now):
                return True
        elif not s.rtx_on:
            _persist_check(s, now)
    return _ack_tail(s, iface, now)


def _dispatch(s, iface, now):
    # dispatch(), every case
    s.odd = odd(s)
    if s.rst_pending:
        return _send_rst(s, iface, now)
    st = s.state
    if st <= _LISTEN:
        return False
    if s.hold:
        if ticks_diff(s.hold_until, now) > 0:
            return False
        s.hold = False
    if st == _TIME_WAIT:
        if ticks_diff(now, s.tw_at) >= 0:
            close(s, 0)
            return False
        if s.ack_now:
            return _send_ack(s, iface, now)
        if s.tw_keeper is not None and s.rx.length == 0:
            # a listener keeps a compact record instead (tcp_timewait.py):
            # this socket and its buffers are free from here on
            s.tw_keeper.take(s, now)
            close(s, 0)
        return False
    if s.rtx_on and ticks_diff(now, s.rtx_at) >= 0:
        if s.rtx_persist:
            s.rtx_on = False
            if _persist_gave_up(s, now):
                return False
            s.probe_due = True
            s.odd = True
        elif s.rtx_tlp:
            s.rtx_on = False
            s.rtx_tlp = False
            s.tlp_due = True
            s.odd = True
        elif not _on_rto(s, now):
            return False
    if s.rack_timer:
        # RACK's reordering timer may be on (tcp_ack.rack_detect says so)
        if not s.rack.timer_on:
            s.rack_timer = False
        elif ticks_diff(now, s.rack.timer_at) >= 0:
            rack_detect(s, now)    # the reordering window ran out (RFC 8985 6.3)
    if st <= _SYN_RECEIVED:        # (SYN-SENT or SYN-RECEIVED: LISTEN returned)
        if s.snd_nxt == 0 or s.ack_now:
            return _send_syn(s, iface, now)
        return False
    if s.fast_rtx:
        s.fast_rtx = False
        if _retransmit_una(s, iface, now):
            return True
    if s.tlp_due:
        s.tlp_due = False
        if _send_tlp(s, iface, now):
            return True
        if s.hold:
            # the neighbor is being resolved (tcp_emit): probe once it
            # answers, else the timer that fired is gone with nothing in
            # its place and the flight waits for the peer forever
            s.tlp_due = True
            s.odd = True
            return False
    if s.in_recovery and s.sack_ok:
        # RFC 6675 NextSeg: lost holes, then new data, then other holes
        if _sack_retransmit(s, iface, now, 1) or _send_data(s, iface, now) or \
                _sack_retransmit(s, iface, now, 3):
            return True
    elif (s.tx.length or s.fin_queued) and _send_data(s, iface, now):
        return True                      # (a receiver, nothing queued, skips it)
    if s.probe_due:
        s.probe_due = False
        if _send_probe(s, iface, now):
            return True
    return _ack_tail(s, iface, now)


def _ack_tail(s, iface, now):
    # both dispatch paths end here, with no data segment sent: a keepalive,
    # else the ACK that is due (the delayed-ACK timer, a window update)
    if s.keepalive_ms > 0 and _keepalive(s, iface, now):
        return True
    if s.ack_pending and ticks_diff(now, s.ack_at) >= 0:
        s.ack_now = True
    if s.wnd_check:
        s.wnd_check = False
        if wnd_update_due(s):
            s.ack_now = True
    if s.ack_now:
        # _send_ack() written out: a call fewer for every ACK
        s.seg_flags = _ACK
        s.seg_n = 0
        return _emit(s, iface, now, s.snd_nxt) >= 0
    return False


# --- timers ----------------------------------------------------------------
def _on_rto(s, now):
    """The retransmission timer expired (RFC 6298 5.4-5.7). False if the
    connection is given up (user timeout, RFC 9293 3.8.3)."""
    if s.user_timeout_ms > 0 and ticks_diff(now, s.una_since) >= s.user_timeout_ms:
        if s.state == _SYN_RECEIVED and s.passive:
            back_to_listen(s)
        else:
            close(s, _ETIMEDOUT)
        return False
    repeated = s.rtte.backoff > 0
    s.timeouts += 1
    s.rtte.on_timeout()
    s.rtx_on = False               # re-armed by the retransmission
    if s.state >= _ESTABLISHED:
        # ssthresh only from the first timeout of a segment (RFC 5681 3.1)
        s.cc.on_rto(s.snd_max - s.snd_una, now, repeated)
    s.in_recovery = False
    s.fast_rtx = False
    s.dupacks = 0
    s.recover = s.snd_max          # RFC 6582 3.2 step 4
    s.snd_nxt = s.snd_una          # go back: resend from the first unacked
    s.rtt_on = False               # Karn
    if s.sack_ok:
        s.sb.clear()               # RFC 2018 8: forget SACKed bits after RTO
        s.rack.on_rto()
    return True


def _persist_gave_up(s, now):
    """The persist timer fired: a peer that has answered none of our window
    probes for the user timeout (RFC 9293 3.8.3, RFC 5482) is gone, and the
    connection is aborted. One that answers them, even with a zero window,
    is kept (RFC 1122 4.2.2.17). While probing, una_since is when the first
    unanswered probe went out (_send_probe)."""
    if s.user_timeout_ms > 0 and s.probing and ticks_diff(s.last_rx, s.una_since) < 0 \
            and ticks_diff(now, s.una_since) >= s.user_timeout_ms:
        close(s, _ETIMEDOUT)
        return True
    return False


def _mark_rtx(s, now):
    """Bookkeeping for any retransmission: Karn's rule for the timed
    segment, and the TSval an echo must reach to be trusted (tcp_ack)."""
    s.retransmits = s.retransmits + 1 if s.retransmits < 0x3FFFFFFF else 0
    s.rtt_on = False
    ts_now(s, now)
    s.rtx_ts_hi = s.ts_hi
    s.rtx_ts_lo = s.ts_lo
    s.rtx_mark = s.snd_max if s.snd_max > 1 else 1
    s.rtx_marked = True


def _start_rtx(s, now):
    if not s.rtx_on or s.rtx_persist:
        arm_rtx(s, now)


def _send_tlp(s, iface, now):
    """The tail loss probe (RFC 8985 7.3): one segment of new data if the
    peer's window takes it, else the last segment again. One per flight;
    the RTO follows."""
    s.tlp_out = True
    end = s.snd_una + s.syn_unacked + s.tx.length
    sent = False
    if s.snd_nxt == s.snd_max and s.snd_max < end:
        n = end - s.snd_max
        if n > s.snd_una + s.snd_wnd - s.snd_max:
            n = s.snd_una + s.snd_wnd - s.snd_max      # the window's room
        if n > s.eff_mss:
            n = s.eff_mss
        if n > 0:
            s.seg_n = n
            s.seg_flags = _ACK
            if s.snd_max + n == end:    # the last byte queued: PSH, and the FIN
                s.seg_flags = _ACK | _PSH | _FIN if s.fin_queued else _ACK | _PSH
            sent = _send_at(s, iface, now)
    if not sent:
        # the last segment sent (never beyond SND.MAX: that is new data)
        end = s.fin_seq if s.fin_sent and s.snd_max > s.fin_seq else s.snd_max
        n = end - (s.snd_una + s.syn_unacked)
        if n > s.eff_mss:
            n = s.eff_mss
        if n <= 0 and not s.fin_sent:
            return False
        s.seg_n = n
        end -= n                 # from here: where that segment starts
        sent = _retransmit(s, iface, now, end)
    if sent:
        s.tlps += 1
    return sent


def _persist_interval(s):
    # RTO doubled per probe, up to rto_max (doubling step by step: a plain
    # shift could pass 2**30)
    t = s.rtte.rto
    mx = s.rtte.rto_max
    k = s.persist_backoff
    while k > 0 and t < mx:
        t <<= 1
        k -= 1
    return t if t < mx else mx


def _start_persist(s, now):
    s.rtx_on = True
    s.rtx_persist = True
    s.rtx_at = ticks_add(now, _persist_interval(s))
    if s.probing and s.user_timeout_ms > 0:
        # fire no later than the user timeout of the unanswered probe
        end = ticks_add(s.una_since, s.user_timeout_ms)
        if ticks_diff(end, s.rtx_at) < 0:
            s.rtx_at = end


def poll_at(s, now):
    if s.odd:
        return _poll_at(s, now)
    # the common case (dispatch()): _poll_at() with odd()'s checks left out
    if s.ack_now:
        return 0
    if s.tx.length or s.fin_queued:     # (a receiver, nothing queued, skips it)
        if _plan(s):
            return 0
        if not s.rtx_on and s.snd_nxt == s.snd_una and s.tx.length:
            return 0             # dispatch() starts the persist timer (_persist_check)
    if s.wnd_check and wnd_update_due(s):
        return 0
    t = -1
    if s.rtx_on:
        t = ticks_diff(s.rtx_at, now)
        if t < 0:
            t = 0
    if s.ack_pending:
        d = ticks_diff(s.ack_at, now)
        if d < 0:
            d = 0
        if t < 0 or d < t:
            t = d
    if s.keepalive_ms > 0:
        return _poll_ka(s, now, t)
    return t


def _poll_ka(s, now, t):
    # poll_at()'s t (-1: none) or the keepalive's time if sooner
    if _ka_idle(s):
        d = ticks_diff(_ka_at(s), now)
        if d < 0:
            d = 0
        if t < 0 or d < t:
            t = d
    return t


def _poll_at(s, now):
    # poll_at(), every case
    if s.rst_pending:
        return 0
    st = s.state
    if st <= _LISTEN:
        return -1
    if s.hold:
        t = ticks_diff(s.hold_until, now)
        return t if t > 0 else 0
    if s.ack_now or s.probe_due or s.fast_rtx:
        return 0
    if st == _TIME_WAIT:
        if s.tw_keeper is not None and s.rx.length == 0:
            return 0                  # dispatch() hands it to the record
        t = ticks_diff(s.tw_at, now)
        return t if t > 0 else 0
    if st == _SYN_SENT or st == _SYN_RECEIVED:
        if s.snd_nxt == 0:
            return 0
    else:
        if s.tx.length or s.fin_queued:     # (a receiver, nothing queued, skips it)
            if _plan(s):
                return 0
            if not s.rtx_on and s.snd_nxt == s.snd_una and s.tx.length:
                return 0         # dispatch() starts the persist timer (_persist_check)
        if s.in_recovery and s.sack_ok and (next_seg(s, 1) >= 0 or next_seg(s, 3) >= 0):
            return 0
        if s.wnd_check and wnd_update_due(s):
            return 0
    # the earliest timer (ms, 0 if overdue), -1 if none
    t = None
    if s.rtx_on:
        t = ticks_diff(s.rtx_at, now)
    if s.ack_pending:
        d = ticks_diff(s.ack_at, now)
        if t is None or d < t:
            t = d
    if s.rack_timer and s.rack.timer_on:
        d = ticks_diff(s.rack.timer_at, now)
        if t is None or d < t:
            t = d
    if s.keepalive_ms > 0 and _ka_idle(s):
        d = ticks_diff(_ka_at(s), now)
        if t is None or d < t:
            t = d
    if t is None:
        return -1
    return t if t > 0 else 0


# --- keepalive (RFC 9293 3.8.4) -------------------------------------------
def _ka_idle(s):
    st = s.state
    return (st == _ESTABLISHED or st == _CLOSE_WAIT or st == _FIN_WAIT_2) and \
        s.snd_max == s.snd_una and s.tx.length == 0


def _ka_at(s):
    return ticks_add(s.last_rx, s.keepalive_ms + s.ka_probes * s.keepalive_interval_ms)


def _keepalive(s, iface, now):
    if not _ka_idle(s) or ticks_diff(now, _ka_at(s)) < 0:
        return False
    if s.ka_probes >= s.keepalive_count:
        close(s, _ETIMEDOUT)
        return False
    s.ka_probes += 1
    # <SEQ=SND.UNA-1><ACK=RCV.NXT>, no data: the peer answers with an ACK
    s.seg_flags = _ACK
    s.seg_n = 0
    return _emit(s, iface, now, s.snd_una - 1) >= 0


# --- what data to send -----------------------------------------------------
def _plan(s):
    """Decide the next data/FIN segment from SND.NXT: True if one should go
    out now, its size then in s.seg_n and its flags in s.seg_flags (ACK;
    PSH with the last byte queued, and FIN if the FIN goes with it). Applies the
    window, the congestion window, Nagle (RFC 896) and sender SWS
    avoidance (RFC 1122 4.2.3.4)."""
    nxt = s.snd_nxt
    # queued, unsent (no s.syn_unacked: _plan runs from ESTABLISHED on, when
    # our SYN has been acknowledged)
    avail = s.snd_una + s.tx.length - nxt
    if avail <= 0 and not s.fin_queued:
        return False             # nothing (a receiver's every dispatch)
    if s.in_recovery and s.sack_ok:
        # the pipe estimate, not SND.NXT - SND.UNA, is what is in flight
        n = s.snd_una + s.snd_wnd - nxt
        w = pipe_room(s)
        if w < n:
            n = w
    else:
        w = s.cc.cwnd
        if s.dupacks and s.dupacks < 3 and not s.in_recovery and nxt >= s.snd_max:
            # limited transmit (RFC 3042): a new segment for each of the
            # first two duplicate ACKs keeps the ACK clock going
            w += s.dupacks * s.eff_mss
        if w > s.snd_wnd:
            w = s.snd_wnd
        n = s.snd_una + w - nxt
    if n <= 0 and not s.fin_queued:
        return False             # the window is full (a sender's every other dispatch)
    if n > avail:
        n = avail
    mss = s.eff_mss
    if n > mss:
        n = mss
    if n < 0:
        n = 0
    s.seg_n = n
    if n == avail:
        # the last byte queued: PSH; the FIN goes with it, once (and again
        # only from before it, after a timeout)
        if s.fin_queued and (not s.fin_sent or nxt <= s.fin_seq):
            s.seg_flags = _ACK | _PSH | _FIN if n else _ACK | _FIN
            return True          # closing: the FIN (and the last data) now
        s.seg_flags = _ACK | _PSH
    else:
        s.seg_flags = _ACK
    if n == 0:
        return False
    if n == mss or nxt < s.snd_max:
        return True              # full segment, or a retransmission
    if n < avail:
        # window-limited: only if a decent share of the largest window seen
        return nxt == s.snd_una and n >= (s.max_snd_wnd >> 1)
    # all queued data fits: Nagle holds it while anything is unacknowledged
    return s.nodelay or nxt == s.snd_una


def _send_data(s, iface, now):
    if _plan(s):
        return _send_at(s, iface, now)
    if not s.rtx_on:
        _persist_check(s, now)
    return False


def _persist_check(s, now):
    # nothing can go and the timer is off: if data waits behind a closed
    # (or too small) window with nothing in flight, the persist timer must
    # probe it open
    if s.snd_nxt == s.snd_una and s.snd_una + s.syn_unacked + s.tx.length > s.snd_nxt:
        _start_persist(s, now)


def _send_at(s, iface, now):
    """Send s.seg_n bytes from SND.NXT with the flags in s.seg_flags (as
    _plan() set them: ACK, maybe PSH and FIN), and advance SND.NXT /
    SND.MAX."""
    if s.snd_una == s.snd_max and ticks_diff(now, s.last_tx) > s.rtte.rto:
        s.cc.on_idle()             # restart window after idleness (RFC 5681 4.1)
    nxt = s.snd_nxt
    k = _emit(s, iface, now, nxt)
    if k < 0:
        return False
    s.last_tx = now
    if s.seg_flags & _FIN:
        if not s.fin_sent:
            s.fin_sent = True
            s.fin_seq = nxt + k
        k += 1
    if s.rack_rec and k:
        s.rack.sent(nxt, nxt + k, now)   # RACK's xmit_ts (RFC 8985 6.1)
    if nxt < s.snd_max:
        _mark_rtx(s, now)
    elif not s.ts_ok and not s.rtt_on and k:
        s.rtt_on = True            # time this segment (RFC 6298 3, Karn)
        s.rtt_seq = nxt
        s.rtt_t0 = now
    if s.snd_una == s.snd_max:
        s.una_since = now
    nxt += k
    s.snd_nxt = nxt
    if nxt > s.snd_max:
        s.snd_max = nxt
        arm_rtx(s, now, True)      # new data: the probe timeout moves with it
    elif k:
        _start_rtx(s, now)
    return True


def _retransmit_una(s, iface, now):
    """Fast retransmit (RFC 5681 3.2) / NewReno partial ACK: the segment at
    SND.UNA, once, without touching SND.NXT. With SACK, only up to the first
    SACKed block."""
    s.seg_n = s.eff_mss
    if s.sack_ok and s.sb.next_hole(0) == 0 and s.sb.hole_len < s.seg_n:
        s.seg_n = s.sb.hole_len
    return _retransmit(s, iface, now, s.snd_una)


def _sack_retransmit(s, iface, now, rule):
    seq = next_seg(s, rule)      # (and its length in s.seg_n)
    if seq < 0:
        return False
    return _retransmit(s, iface, now, seq)


def _retransmit(s, iface, now, seq):
    """Send [seq, seq + s.seg_n) again, never past SND.MAX (what lies
    beyond is new data, which only _send_at may send: it moves SND.MAX)."""
    top = s.snd_max
    s.seg_flags = _ACK
    if s.fin_sent and top > s.fin_seq:
        top = s.fin_seq
        s.seg_flags = _ACK | _FIN      # if the data reaches it
    if seq + s.seg_n > top:
        s.seg_n = top - seq
    if seq + s.seg_n != top:
        s.seg_flags = _ACK
    if s.seg_n <= 0 and s.seg_flags == _ACK:
        return False
    k = _emit(s, iface, now, seq)
    if k < 0:
        return False
    _mark_rtx(s, now)
    top = seq + k + (1 if s.seg_flags & _FIN else 0)     # from here: the top sent
    if s.sack_ok:
        s.rack.sent(seq, top, now)
    if top > s.high_rxt:
        s.high_rxt = top
    _start_rtx(s, now)
    return True


def _send_probe(s, iface, now):
    """Persist timer fired (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17): send what
    the window allows (the SWS override), else one byte beyond a zero
    window. Backs off like the retransmission timer."""
    if s.probing:
        s.snd_nxt = s.snd_una     # the last probe byte goes again
    end = s.snd_una + s.syn_unacked + s.tx.length
    if s.snd_nxt >= end:
        return False
    if s.persist_backoff < 16:     # (the interval is capped long before)
        s.persist_backoff += 1
    n = s.snd_una + s.snd_wnd - s.snd_nxt      # the window's room
    if n > 0:
        if n > end - s.snd_nxt:
            n = end - s.snd_nxt
        if n > s.eff_mss:
            n = s.eff_mss
        s.seg_n = n
        s.seg_flags = _ACK | _PSH if s.snd_nxt + n == end else _ACK   # the last byte: PSH
        return _send_at(s, iface, now)
    # zero window: one byte of new data at SND.UNA, kept "in flight" so
    # an ACK covering it is acceptable
    s.seg_flags = _ACK
    s.seg_n = 1
    k = _emit(s, iface, now, s.snd_una)
    if k < 0:
        return False
    if not s.probing or ticks_diff(s.last_rx, s.una_since) >= 0:
        s.una_since = now          # the first probe not answered yet
    if s.snd_una + k > s.snd_nxt:
        s.snd_nxt = s.snd_una + k
    if s.sack_ok:
        s.rack.sent(s.snd_una, s.snd_una + k, now)
    if s.snd_nxt > s.snd_max:
        s.snd_max = s.snd_nxt
    s.probing = True
    _start_persist(s, now)
    return True


# --- segments ---------------------------------------------------------------
def _send_syn(s, iface, now):
    first = s.snd_max == 0
    s.seg_flags = _SYN | _ACK if s.state == _SYN_RECEIVED else _SYN
    s.seg_n = 0
    if _emit(s, iface, now, 0) < 0:
        return False
    if s.no_route:
        if first and s.state == _SYN_SENT:
            close(s, _EHOSTUNREACH)     # fail fast, as a connect() without a route
            return False
        if s.passive and s.state == _SYN_RECEIVED:
            # the SYN's source never answered ARP/ND (a spoofed address,
            # RFC 4987 2): free the half-open slot after the neighbor
            # timeout rather than after the user timeout
            back_to_listen(s)
            return False
    if first:
        s.una_since = now
        if not s.timestamps:
            s.rtt_on = True
            s.rtt_seq = 0
            s.rtt_t0 = now
    else:
        _mark_rtx(s, now)
    s.snd_nxt = 1
    if s.snd_max < 1:
        s.snd_max = 1
    _start_rtx(s, now)
    return True


def _send_ack(s, iface, now):
    s.seg_flags = _ACK
    s.seg_n = 0
    return _emit(s, iface, now, s.snd_nxt) >= 0


def _send_rst(s, iface, now):
    # <SEQ=rst_hi:rst_lo><CTL=RST>: SEG.ACK of a bad segment, or SND.NXT of
    # an aborted connection
    s.rst_pending = False
    s.seg_flags = _RST
    s.seg_n = 0
    _emit(s, iface, now, 0)
    return True
