# Segment arrival (RFC 9293 3.10.7), for one TcpSocket `s`.
#
# process() runs for every inbound segment the Interface hands the socket:
# it allocates nothing and never raises on bad input (bad segments are
# dropped and counted in s.drops). Nothing is sent from here: replies are
# requested through flags (s.ack_now, s.rst_pending) that tcp_tx.dispatch()
# turns into segments. State changes go through tcp_conn.py; paws_old()
# and challenge_due() at the end serve the TIME-WAIT records
# (tcp_timewait.py) too.
#
# What the segment says is read once into _SEG (tcp_ack.SEG: its options,
# SEG.SEQ relative to the receive base, SEG.ACK relative to the send base,
# tcp_seq.py; the data's length and offset), where the steps below read it:
# few arguments keep their call frames on a board's C stack.
from micropython import const
from time import ticks_add, ticks_diff
from ..fast import copy, seq_get, tcp_nums
from ..wire.tcp import parse as _parse
from .tcp_ack import SEG as _SEG, on_ack, rtt_sample
from .tcp_conn import (sack_state, syn_received, establish, fin_acked, fin_received, reset_received,
                       back_to_listen)
from .tcp_seq import rebase_rcv as _rebase_rcv

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
_ACK = const(0x10)
# copies of smolnet/wire/tcp.py's option kinds
_OPT_NOP = const(1)
_OPT_TS = const(8)

# copy of smolnet/socket/tcp_seq.py's REBASE (inlined here; test_const_copies.py checks)
_REBASE = const(0x08000000)
_MSS_DEFAULT4 = const(536)    # RFC 9293 3.7.1
_MSS_DEFAULT6 = const(1220)
_CHALLENGE_WINDOW_MS = const(1000)
_QUICKACK = const(8)          # segments ACKed at once after a hole


def _u16(b, off):
    return (b[off] << 8) | b[off + 1]


def process(s, iface, l4_off, l4_len, now):
    b = iface.rx_buf
    if b[l4_off + 12] >> 4 == 8 and l4_len >= 32 and b[l4_off + 22] == _OPT_TS and \
            b[l4_off + 23] == 10 and b[l4_off + 20] == _OPT_NOP and b[l4_off + 21] == _OPT_NOP:
        # wire.tcp.parse()'s common case written out, a call fewer for
        # every segment: NOP, NOP, TS alone (RFC 7323 Appendix A)
        if b[l4_off + 13] & _SYN:
            _SEG.mss = 0         # (the SYN options: only a SYN's are read)
            _SEG.ws = -1
            _SEG.sack_perm = False
        _SEG.ts = True
        _SEG.ts_off = l4_off + 24
        _SEG.sack_n = 0
        _SEG.dlen = l4_len - 32
        _SEG.doff = l4_off + 32
    else:
        _SEG.dlen = _parse(b, l4_off, l4_len, _SEG)     # the data's length
        if _SEG.dlen < 0:
            s.drops += 1         # a bad data offset or option length
            return
        _SEG.doff = l4_off + l4_len - _SEG.dlen
    # counters wrap below 2**30: a larger int would be a heap object
    s.rx_segments = s.rx_segments + 1 if s.rx_segments < 0x3FFFFFFF else 0
    if s.state >= _SYN_RECEIVED:
        if not s.ts_ok:
            _SEG.ts = False      # not negotiated: ignored (RFC 7323 3.2)
        _synchronized(s, b, l4_off, now)
    elif s.state == _LISTEN:
        _listen(s, iface, l4_off, now)
    elif s.state == _SYN_SENT:
        _syn_sent(s, b, l4_off, now)


# --- LISTEN (3.10.7.2) -------------------------------------------------------
def _listen(s, iface, l4_off, now):
    b = iface.rx_buf
    if b[l4_off + 13] & (_RST | _ACK | _SYN) != _SYN:
        return          # RST ignored; ACKs never get here (accepts() said no)
    s.alen = iface.rx_alen
    copy(s.remote_addr, 0, b, iface.rx_src_off, s.alen)
    if not s.bound_addr:
        copy(s.local_addr, 0, b, iface.rx_dst_off, s.alen)
    s.local_set = True
    s.remote_port = _u16(b, l4_off)
    s.passive = True
    _take_syn(s, b, l4_off)
    syn_received(s, now)
    s.last_rx = now
    # data in a SYN is not kept (the peer sends it again once we ACK only
    # the SYN); TCP Fast Open is not supported


def _take_syn(s, b, l4_off):
    """Record IRS and the options of a SYN or SYN-ACK."""
    o = _SEG
    s.rcv_bhi = _u16(b, l4_off + 4)
    s.rcv_blo = _u16(b, l4_off + 6)
    s.rcv_nxt = 1
    s.last_ack_sent = 0
    if o.mss:
        s.snd_mss = o.mss
    else:
        s.snd_mss = _MSS_DEFAULT4 if s.alen == 4 else _MSS_DEFAULT6
    # RFC 7323 2.2: scaling is on only if both sides sent WS in their SYNs
    s.ws_ok = o.ws >= 0 and s.window_scale
    if s.ws_ok:
        s.snd_ws = o.ws
        s.rcv_ws = s.rcv_ws_want
    else:
        s.snd_ws = 0
        s.rcv_ws = 0
    s.sack_ok = o.sack_perm and s.sack
    if s.sack_ok:
        sack_state(s)
    if o.ts and s.timestamps:
        s.ts_ok = True
        _take_ts(s, b)
    else:
        s.ts_ok = False
    # the window of a SYN is never scaled (RFC 7323 2.2)
    s.snd_wnd = _u16(b, l4_off + 14)
    s.max_snd_wnd = s.snd_wnd
    s.snd_wl1 = 0
    # the window our SYN / SYN-ACK announces (never scaled)
    w = s.rx.free()
    s.rcv_adv = 1 + (w if w < 0xFFFF else 0xFFFF)
    s.wnd_n = -1                 # (tcp_emit.rcv_wnd_field's kept answer: none)


def _take_ts(s, b):
    """TS.Recent = the segment's TSval (RFC 7323 4.3)."""
    p = _SEG.ts_off
    s.ts_recent_hi = (b[p] << 8) | b[p + 1]
    s.ts_recent_lo = (b[p + 2] << 8) | b[p + 3]


# --- SYN-SENT (3.10.7.3) -----------------------------------------------------
def _syn_sent(s, b, l4_off, now):
    f = b[l4_off + 13]
    g = _SEG
    if f & _ACK:
        g.ack = seq_get(b, l4_off + 8, s.snd_bhi, s.snd_blo)
        if g.ack <= 0 or g.ack > s.snd_max:
            if not f & _RST:
                rst_reply(s, b, l4_off)
            s.drops += 1
            return
    if f & _RST:
        # RFC 5961 3.2: in SYN-SENT a RST is believed only if it ACKs our SYN
        if f & _ACK:
            reset_received(s)
        return
    if not f & _SYN:
        return
    _take_syn(s, b, l4_off)
    s.last_rx = now
    if f & _ACK:
        if not s.ts_ok:
            g.ts = False         # (rtt_sample reads the option only if on)
        rtt_sample(s, b, now)
        s.snd_una = g.ack
        s.syn_unacked = 0
        if s.snd_nxt < g.ack:
            s.snd_nxt = g.ack
        s.snd_wl2 = g.ack
        establish(s, now)
        s.rtx_on = False
        s.ack_now = True
    else:
        syn_received(s, now)     # simultaneous open


# --- the synchronized states (3.10.7.4) --------------------------------------
def _synchronized(s, b, l4_off, now):
    """RFC 9293 3.10.7.4's steps in its order (the third, security, and
    the sixth, URG, have nothing to do here)."""
    g = _SEG
    f = b[l4_off + 13]
    s.last_rx = now
    if s.ka_probes:
        s.ka_probes = 0
    # one call: SEG.SEQ and SEG.ACK into g (ACK read whatever the flag: the
    # fifth step below uses it only with one), TSval - TS.Recent returned.
    # PAWS (RFC 7323 5.3), ahead of the sequence number check: an old
    # timestamp means an old duplicate
    if tcp_nums(b, l4_off, s, g) < 0 and not f & _RST:
        s.drops += 1
        challenge_ack(s, now)
        return
    # first: check the sequence number. Acceptable if it starts in an open
    # window (every segment in sequence: the test inline); the acceptability
    # test's other cases in _check_seq
    if not s.rcv_nxt <= g.seq < s.rcv_adv and not _check_seq(s, b, f, now):
        return
    # RFC 7323 4.3: remember the timestamp to echo
    if g.ts and g.seq <= s.last_ack_sent:
        s.ts_recent_hi = (b[g.ts_off] << 8) | b[g.ts_off + 1]
        s.ts_recent_lo = (b[g.ts_off + 2] << 8) | b[g.ts_off + 3]
    if f & (_RST | _SYN | _ACK) != _ACK:
        if f & (_RST | _SYN):
            _rst_or_syn(s, g.seq, f, now)    # second and fourth: RST, SYN
        else:
            s.drops += 1         # fifth: no ACK
        return
    # fifth: ACK (g.ack: tcp_nums above)
    if s.state == _SYN_RECEIVED or g.ack > s.snd_max or g.ack < s.snd_una - s.max_snd_wnd:
        if not _check_ack(s, b, l4_off, now):
            return
    on_ack(s, b, l4_off, now)
    if s.fin_sent and s.snd_una > s.fin_seq and fin_acked(s, now):
        return                   # TIME-WAIT or CLOSED: nothing more to take
    # seventh: text (after the peer's FIN, in CLOSE-WAIT and on, there is
    # none to take)
    if g.dlen > 0:
        if _ESTABLISHED <= s.state <= _FIN_WAIT_2:
            if not _data(s, b):
                f = 0            # the FIN went with what the window did not hold
        else:
            if s.rcv_adv <= s.rcv_nxt:
                s.ack_now = True     # its data came to a zero window: say so
            f = 0
    # eighth: FIN (its place is after the data; front trimming kept it)
    if f & _FIN or s.fin_ooo:
        _take_fin(s, f & _FIN, now)
    if s.rcv_nxt > _REBASE:
        _rebase_rcv(s)           # last: SEG.seq is relative to the old base


def _check_seq(s, b, f, now):
    """RFC 9293 3.10.7.4 first, for a segment that does not start inside an
    open window: True if it is acceptable all the same (an empty one at
    RCV.NXT in a zero window; one that ends in the window; a zero window's
    "special allowance": its ACK and FIN count, _data drops its data),
    else it was dropped (or answered)."""
    seq = _SEG.seq
    rn = s.rcv_nxt
    n = _SEG.dlen + (1 if f & _SYN else 0) + (1 if f & _FIN else 0)     # SEG.LEN
    if n == 0:
        if seq == rn and s.rcv_adv <= rn:
            return True
    elif rn < s.rcv_adv and rn <= seq + n - 1 < s.rcv_adv:
        return True
    if f & _RST:
        s.drops += 1
        return False
    if seq == rn and s.rcv_adv <= rn:
        return True              # the zero window's special allowance
    if s.state == _SYN_RECEIVED and f & _SYN and seq == rn - 1:
        # the peer's SYN again: our SYN-ACK was lost. Answer now, echoing
        # this SYN's timestamp (else the peer measures the lost time)
        if s.ts_ok and _SEG.ts:
            _take_ts(s, b)
        s.ack_now = True
        return False
    if s.state == _TIME_WAIT and f & _FIN:
        s.tw_at = ticks_add(now, s.time_wait_ms)   # FIN again: restart 2MSL
    if n == 0 or f & _SYN:
        challenge_ack(s, now)    # rate-limited (RFC 5961 5, 7)
    else:
        s.ack_now = True         # duplicate data: tell where we are
    s.drops += 1
    return False


def _rst_or_syn(s, seq, f, now):
    """Second, RST: only an exact match resets (RFC 5961 3.2), any other
    gets a challenge ACK. Fourth, SYN: a passive open's SYN again sends it
    back to LISTEN (3.10.7.4 fourth), else a challenge ACK (RFC 5961 4)."""
    if f & _RST:
        if seq == s.rcv_nxt:
            reset_received(s)
        else:
            challenge_ack(s, now)
    elif s.state == _SYN_RECEIVED and s.passive:
        back_to_listen(s)
    else:
        challenge_ack(s, now)


def _check_ack(s, b, l4_off, now):
    """Fifth, when SEG.ACK is not plainly acceptable: in SYN-RECEIVED one
    that ACKs our SYN completes the handshake, any other gets a RST; an ACK
    of what was never sent, or older than the largest window, a challenge
    ACK (RFC 5961 5.2). True if on_ack() may take it."""
    ack = _SEG.ack
    if s.state == _SYN_RECEIVED:
        if 0 < ack <= s.snd_max:
            s.snd_wl1 = _SEG.seq
            s.snd_wl2 = ack
            establish(s, now)
        else:
            rst_reply(s, b, l4_off)
            return False
    if ack > s.snd_max or ack < s.snd_una - s.max_snd_wnd:
        challenge_ack(s, now)
        return False
    return True


def _data(s, b):
    """Take the segment's data (RFC 9293 3.10.7.4 seventh), trimmed to the
    window: SEG.seq, .dlen and .doff narrow to what is kept, which is
    parked in the receive ring at its place and readable once in order.
    Returns False if the FIN fell outside the window."""
    g = _SEG
    k = s.rcv_nxt - g.seq
    if k > 0:                    # starts before RCV.NXT: trim the old part
        g.seq += k
        g.doff += k
        g.dlen -= k
    # the right edge: the window we advertised, or the ring's room if less
    k = s.rcv_nxt + s.rx.size - s.rx.length     # + the ring's room
    if k > s.rcv_adv:
        k = s.rcv_adv
    fin = True
    if g.seq + g.dlen > k:       # beyond the window: trim, and the FIN with it
        g.dlen = k - g.seq
        fin = False
    if g.dlen <= 0:
        s.ack_now = True
        return fin
    if g.seq == s.rcv_nxt and not s.asm.n:
        # in order, nothing parked: all of it readable at once (the window
        # above kept it within the ring's room)
        k = s.rx.write_from(b, g.doff, g.dlen)
    else:
        k = s.asm.add_then_remove_front(g.seq - s.rcv_nxt, g.dlen)
        if k < 0:
            s.drops += 1         # too many holes to track: the peer resends
            s.ack_now = True
            return False
        s.rx.write_at(g.seq - s.rcv_nxt, b, g.doff, g.dlen)
        if k:
            s.rx.commit(k)
    if k:
        s.rcv_nxt += k
    if g.dlen > s.rcv_mss:
        s.rcv_mss = g.dlen if g.dlen <= s.mss_adv else s.mss_adv
    # RFC 5681 4.2 / RFC 9293 3.8.6.3: ACK at once when out of order (none
    # of it in order: k == 0) or when a hole was filled (more than it is);
    # otherwise every second full segment or after the delayed-ACK time
    if k != g.dlen:
        s.ack_now = True
        s.quickack = _QUICKACK
    elif s.ack_delay_ms <= 0:
        s.ack_now = True
    elif s.quickack > 0:
        # just after a loss: every segment is ACKed at once for a while, so
        # a sender with a small window recovers its ACK clock (Linux's
        # quick-ACK mode)
        s.quickack -= 1
        s.ack_now = True
    elif s.rcv_nxt - s.last_ack_sent >= (s.rcv_mss << 1):
        s.ack_now = True
    elif not s.ack_pending:
        s.ack_pending = True
        s.ack_at = ticks_add(s.last_rx, s.ack_delay_ms)    # (last_rx: now)
    return fin


def _take_fin(s, fin, now):
    """Eighth: the peer's FIN (fin: this segment's, after its data), taken
    at once if in sequence, else once the hole before it is filled."""
    if fin and not s.fin_rcvd:
        if _SEG.seq + _SEG.dlen <= s.rcv_nxt:
            fin_received(s, now)
        elif not s.fin_ooo:
            s.fin_ooo = True     # out of order: taken once the hole is filled
            s.fin_ooo_at = _SEG.seq + _SEG.dlen
    if s.fin_ooo and s.rcv_nxt == s.fin_ooo_at and not s.fin_rcvd:
        fin_received(s, now)


def rst_reply(s, b, l4_off):
    """Queue <SEQ=SEG.ACK><CTL=RST> (3.10.7.3, 3.10.7.4 fifth)."""
    s.rst_pending = True
    s.odd = True                 # (tcp_tx.odd)
    s.rst_hi = _u16(b, l4_off + 8)
    s.rst_lo = _u16(b, l4_off + 10)


# --- old and blind segments: shared with TIME-WAIT records (tcp_timewait.py) --
def paws_old(b, ts_off, rhi, rlo):
    """PAWS (RFC 7323 5.3): the segment's TSval (at b[ts_off]) is older
    than TS.Recent (halves rhi, rlo): an old duplicate."""
    return seq_get(b, ts_off, rhi, rlo) < 0


def challenge_due(owner, now):
    """RFC 5961 7's limit on challenge ACKs, for a TcpSocket or a
    TimeWaitTable (its ch_start, ch_count, challenge_ack_limit): True if
    one more may go this second, counting it."""
    d = ticks_diff(now, owner.ch_start)
    if d >= _CHALLENGE_WINDOW_MS or d < 0:
        owner.ch_start = now
        owner.ch_count = 0
    if owner.ch_count < owner.challenge_ack_limit:
        owner.ch_count += 1
        return True
    return False


def challenge_ack(s, now):
    """An ACK telling the peer where we are, at most challenge_ack_limit a
    second (RFC 5961 7)."""
    if challenge_due(s, now):
        s.challenge_acks += 1
        s.ack_now = True


def time_wait_reopen(s, b, l4_off):
    """A SYN for a 4-tuple in TIME-WAIT may start a new incarnation if its
    sequence number is beyond the old connection's (RFC 9293 3.10.7.4,
    RFC 6191 with timestamps). Called from accepts()."""
    f = b[l4_off + 13]
    if f & (_SYN | _ACK | _RST) != _SYN:
        return False
    return seq_get(b, l4_off + 4, s.rcv_bhi, s.rcv_blo) > s.rcv_nxt

