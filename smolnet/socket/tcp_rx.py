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
# Sequence numbers: `seq` is SEG.SEQ relative to the receive base, `ack`
# SEG.ACK relative to the send base (tcp_seq.py).
from micropython import const
from time import ticks_add, ticks_diff
from ..fast import copy, seq_get
from ..wire import tcp as wire
from .tcp_ack import on_ack, rtt_sample
from .tcp_conn import (sack_state, syn_received, establish, fin_acked, fin_received, reset_received,
                       back_to_listen)
from .tcp_seq import REBASE, rebase_rcv as _rebase_rcv

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

_MSS_DEFAULT4 = const(536)    # RFC 9293 3.7.1
_MSS_DEFAULT6 = const(1220)
_CHALLENGE_WINDOW_MS = const(1000)
_QUICKACK = const(8)          # segments ACKed at once after a hole


def _u16(b, off):
    return (b[off] << 8) | b[off + 1]


def process(s, iface, l4_off, l4_len, now):
    b = iface.rx_buf
    hlen = (b[l4_off + 12] >> 4) << 2
    o = s.opt
    if hlen < 20 or hlen > l4_len:
        s.drops += 1
        return
    if hlen > 20:
        if not wire.parse_options(b, l4_off, hlen, o):
            s.drops += 1
            return
    else:
        o.clear()
    # counters wrap below 2**30: a larger int would be a heap object
    s.rx_segments = s.rx_segments + 1 if s.rx_segments < 0x3FFFFFFF else 0
    f = b[l4_off + 13]
    st = s.state
    if st == _LISTEN:
        _listen(s, iface, b, l4_off, f, now)
    elif st == _SYN_SENT:
        _syn_sent(s, b, l4_off, f, now)
    elif st != _CLOSED:
        _synchronized(s, b, l4_off, hlen, l4_len, f, now)


# --- LISTEN (3.10.7.2) -------------------------------------------------------
def _listen(s, iface, b, l4_off, f, now):
    if f & (_RST | _ACK) or not f & _SYN:
        return          # RST ignored; ACKs never get here (accepts() said no)
    a = iface.rx_alen
    s.alen = a
    copy(s.remote_addr, 0, b, iface.rx_src_off, a)
    if not s.bound_addr:
        copy(s.local_addr, 0, b, iface.rx_dst_off, a)
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
    o = s.opt
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


def _take_ts(s, b):
    """TS.Recent = the segment's TSval (RFC 7323 4.3)."""
    p = s.opt.ts_off
    s.ts_recent_hi = _u16(b, p)
    s.ts_recent_lo = _u16(b, p + 2)


# --- SYN-SENT (3.10.7.3) -----------------------------------------------------
def _syn_sent(s, b, l4_off, f, now):
    ack_ok = False
    ack = 0
    if f & _ACK:
        ack = seq_get(b, l4_off + 8, s.snd_bhi, s.snd_blo)
        if ack <= 0 or ack > s.snd_max:
            if not f & _RST:
                rst_reply(s, b, l4_off)
            s.drops += 1
            return
        ack_ok = True
    if f & _RST:
        # RFC 5961 3.2: in SYN-SENT a RST is believed only if it ACKs our SYN
        if ack_ok:
            reset_received(s)
        return
    if not f & _SYN:
        return
    _take_syn(s, b, l4_off)
    s.last_rx = now
    if ack_ok:
        rtt_sample(s, b, now, ack)
        s.snd_una = ack
        s.syn_unacked = 0
        if s.snd_nxt < ack:
            s.snd_nxt = ack
        s.snd_wl2 = ack
        establish(s, now)
        s.rtx_on = False
        s.ack_now = True
    else:
        syn_received(s, now)     # simultaneous open


# --- the synchronized states (3.10.7.4) --------------------------------------
def _synchronized(s, b, l4_off, hlen, l4_len, f, now):
    """RFC 9293 3.10.7.4's steps in its order (the third, security, and
    the sixth, URG, have nothing to do here)."""
    seq = seq_get(b, l4_off + 4, s.rcv_bhi, s.rcv_blo)
    dlen = l4_len - hlen
    s.last_rx = now
    s.ka_probes = 0
    o = s.opt
    # PAWS (RFC 7323 5.3), ahead of the sequence number check: an old
    # timestamp means an old duplicate
    if s.ts_ok and o.ts and not f & _RST and paws_old(b, o.ts_off, s.ts_recent_hi,
                                                      s.ts_recent_lo):
        s.drops += 1
        challenge_ack(s, now)
        return
    # first: check the sequence number
    seglen = dlen + (1 if f & _SYN else 0) + (1 if f & _FIN else 0)
    take = _check_seq(s, b, seq, seglen, f, now)
    if take < 0:
        return
    # second and fourth: RST, SYN
    if f & (_RST | _SYN):
        _rst_or_syn(s, seq, f, now)
        return
    # fifth: ACK
    if not f & _ACK:
        s.drops += 1
        return
    ack = seq_get(b, l4_off + 8, s.snd_bhi, s.snd_blo)
    if not _check_ack(s, b, l4_off, seq, ack, now):
        return
    fin = f & _FIN
    on_ack(s, b, l4_off, seq, ack, dlen, fin, now)
    if s.fin_sent and s.snd_una > s.fin_seq and fin_acked(s, now):
        return                   # TIME-WAIT or CLOSED: nothing more to take
    # seventh: text
    if dlen > 0:
        st = s.state
        if take and (st == _ESTABLISHED or st == _FIN_WAIT_1 or st == _FIN_WAIT_2):
            fin = _data(s, b, l4_off + hlen, seq, dlen, fin, now)
        else:
            if not take:
                s.ack_now = True     # zero window: the data is dropped
            fin = 0              # (or it came after the peer's FIN: nothing to take)
    # eighth: FIN (its place is after the data; front trimming kept it)
    _take_fin(s, seq + dlen, fin, now)


def _check_seq(s, b, seq, seglen, f, now):
    """RFC 9293 3.10.7.4 first: is the segment acceptable? 1: yes; 0: yes
    for its ACK and FIN, its data is dropped (a zero window's "special
    allowance"); -1: no, it was dropped (or answered)."""
    if _in_window(s, seq, seglen):
        take = 1
    elif f & _RST:
        s.drops += 1
        return -1
    elif seq == s.rcv_nxt and s.rcv_adv <= s.rcv_nxt:
        take = 0                 # the zero window's special allowance
    elif s.state == _SYN_RECEIVED and f & _SYN and seq == s.rcv_nxt - 1:
        # the peer's SYN again: our SYN-ACK was lost. Answer now, echoing
        # this SYN's timestamp (else the peer measures the lost time)
        if s.ts_ok and s.opt.ts:
            _take_ts(s, b)
        s.ack_now = True
        return -1
    else:
        if s.state == _TIME_WAIT and f & _FIN:
            s.tw_at = ticks_add(now, s.time_wait_ms)   # FIN again: restart 2MSL
        if seglen == 0 or f & _SYN:
            challenge_ack(s, now)    # rate-limited (RFC 5961 5, 7)
        else:
            s.ack_now = True         # duplicate data: tell where we are
        s.drops += 1
        return -1
    # RFC 7323 4.3: remember the timestamp to echo
    if s.ts_ok and s.opt.ts and seq <= s.last_ack_sent:
        _take_ts(s, b)
    return take


def _in_window(s, seq, seglen):
    """The acceptability test's four cases (3.10.7.4 first)."""
    rn = s.rcv_nxt
    wnd = s.rcv_adv - rn
    if wnd < 0:
        wnd = 0
    if seglen == 0:
        return seq == rn if wnd == 0 else rn <= seq < rn + wnd
    return wnd > 0 and (rn <= seq < rn + wnd or rn <= seq + seglen - 1 < rn + wnd)


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


def _check_ack(s, b, l4_off, seq, ack, now):
    """Fifth, before the ACK counts: in SYN-RECEIVED one that ACKs our SYN
    completes the handshake, any other gets a RST; an ACK of what was
    never sent, or older than the largest window, a challenge ACK (RFC 5961
    5.2). True if on_ack() may take it."""
    if s.state == _SYN_RECEIVED:
        if 0 < ack <= s.snd_max:
            s.snd_wl1 = seq
            s.snd_wl2 = ack
            establish(s, now)
        else:
            rst_reply(s, b, l4_off)
            return False
    if ack > s.snd_max or ack < s.snd_una - s.max_snd_wnd:
        challenge_ack(s, now)
        return False
    return True


def _data(s, b, doff, seq, dlen, fin, now):
    """Take the segment's data (RFC 9293 3.10.7.4 seventh). Returns the FIN
    flag, cleared if the FIN fell outside what was kept."""
    rn = s.rcv_nxt
    if seq < rn:                 # starts before RCV.NXT: trim the old part
        k = rn - seq
        doff += k
        dlen -= k
        seq = rn
    edge = s.rcv_adv
    room = rn + s.rx.free()
    if edge > room:
        edge = room
    if seq + dlen > edge:        # beyond the window: trim, and the FIN with it
        dlen = edge - seq
        fin = 0
    if dlen <= 0:
        s.ack_now = True
        return fin
    at = seq - rn
    k = s.asm.add_then_remove_front(at, dlen)
    if k < 0:
        s.drops += 1             # too many holes to track: the peer resends
        s.ack_now = True
        return 0
    s.rx.write_at(at, b, doff, dlen)
    if k:
        s.rx.commit(k)
        s.rcv_nxt = rn + k
    if dlen > s.rcv_mss:
        s.rcv_mss = dlen if dlen <= s.mss_adv else s.mss_adv
    # RFC 5681 4.2 / RFC 9293 3.8.6.3: ACK at once when out of order or when
    # a hole was filled; otherwise every second full segment or after the
    # delayed-ACK time
    if at > 0 or k > dlen:
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
        s.ack_at = ticks_add(now, s.ack_delay_ms)
    return fin


def _take_fin(s, end, fin, now):
    """Eighth: the peer's FIN (`end`: where the segment's data ends), taken
    at once if in sequence, else once the hole before it is filled."""
    if fin and not s.fin_rcvd:
        if end <= s.rcv_nxt:
            fin_received(s, now)
        elif not s.fin_ooo:
            s.fin_ooo = True     # out of order: taken once the hole is filled
            s.fin_ooo_at = end
    if s.fin_ooo and s.rcv_nxt == s.fin_ooo_at and not s.fin_rcvd:
        fin_received(s, now)
    if s.rcv_nxt > REBASE:
        _rebase_rcv(s)


def rst_reply(s, b, l4_off):
    """Queue <SEQ=SEG.ACK><CTL=RST> (3.10.7.3, 3.10.7.4 fifth)."""
    s.rst_pending = True
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

