# Connection state changes of one TcpSocket `s` (RFC 9293 3.3.2's state
# diagram) that a segment or a timer causes. With the user calls in tcp.py
# (listen, connect, close, abort), these are the only writers of s.state:
# tcp_rx (segments), tcp_tx (timers, a SYN without a route, a socket handed
# to a TIME-WAIT record), tcp_cookie (a connection opened from a cookie)
# and tcp_listen (an evicted half-open slot) call them. The new state's bookkeeping goes with it:
# ISS and TSval clock on opening, MSS on establishing, the 2MSL timer on
# TIME-WAIT, buffers flushed on CLOSED.
from micropython import const
from time import ticks_add
from .tcp_ack import set_mss
from .tcp_isn import compute as _isn_compute
from .tcp_seq import base_hi, base_lo

# copies of smolnet/socket/errno.py's constants
_ECONNREFUSED = const(111)
_ECONNRESET = const(104)

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


# --- opening ------------------------------------------------------------------
def choose_iss(s, now):
    """ISS per RFC 6528 (or the fixed one tests ask for), and the start of
    our timestamp clock. SND.UNA = SND.NXT = SND.MAX = ISS (offset 0)."""
    out = s._isn
    if s.fixed_iss is None or s.fixed_ts_offset is None:
        _isn_compute(out, s.local_addr, s.remote_addr, s.alen, s.local_port,
                     s.remote_port, now)
    if s.fixed_iss is not None:
        s.snd_bhi = (s.fixed_iss >> 16) & 0xFFFF
        s.snd_blo = s.fixed_iss & 0xFFFF
    else:
        s.snd_bhi = (out[0] << 8) | out[1]
        s.snd_blo = (out[2] << 8) | out[3]
    # TSval = offset + now (ms); advanced by elapsed ms from here on
    if s.fixed_ts_offset is not None:
        s.ts_hi = base_hi((s.fixed_ts_offset >> 16) & 0xFFFF, s.fixed_ts_offset & 0xFFFF, now)
        s.ts_lo = base_lo(s.fixed_ts_offset & 0xFFFF, now)
    else:
        s.ts_hi = base_hi((out[4] << 8) | out[5], (out[6] << 8) | out[7], now)
        s.ts_lo = base_lo((out[6] << 8) | out[7], now)
    s.ts_last = now
    s.iss_pending = False
    s.snd_una = 0
    s.snd_nxt = 0
    s.snd_max = 0
    s.syn_unacked = 1


def syn_received(s, now):
    """A SYN took us to SYN-RECEIVED: in LISTEN (3.10.7.2, s.passive) with
    the ISS chosen now; in SYN-SENT without an ACK (3.10.7.3, a
    simultaneous open) our SYN goes again, now as a SYN-ACK."""
    if s.passive:
        choose_iss(s, now)
    else:
        s.snd_nxt = 0
        s.ack_now = True
    s.state = _SYN_RECEIVED
    s.odd = True                     # (tcp_tx.odd)


def establish(s, now):
    """The handshake is complete: ESTABLISHED, or FIN-WAIT-1 right away if
    close() was called during it (its FIN was queued)."""
    s.state = _FIN_WAIT_1 if s.fin_queued else _ESTABLISHED
    # RACK keeps records of this connection's segments (s.rack a Rack,
    # SACK on): the per-segment paths (tcp_tx._send_at, tcp_ack._ack_new)
    # look at this rather than call tcp_sack.NO_RACK's no-ops
    s.rack_rec = s.sack_ok and s.rack.records
    s.estab_time = now
    s.una_since = now
    set_mss(s)


def sack_state(s):
    """SACK may be (listen/connect with s.sack) or was (a SYN, RFC 2018 2)
    negotiated: the scoreboard and RACK's transmission records, made once
    and kept (_reset clears them). Imports and allocates only here, never
    per segment; a socket that never offers SACK carries neither."""
    if s.sb is None:
        from .tcp_sack import Scoreboard, NO_RACK
        s.sb = Scoreboard(s.sack_blocks)
        s.rack = NO_RACK if s.rack is False else _rack(s.tx.size)


def _rack(size):
    r = rack_class()
    if r is None:
        # the build has no RACK (firmware/manifest.py's rack option; rack=True
        # was refused when the socket was made): RFC 6675's IsLost alone
        from .tcp_sack import NO_RACK
        return NO_RACK
    # about one record per segment the send buffer holds (536-byte
    # segments), 8..64 (tcp_rack.py)
    size = size // 536 + 4
    return r(8 if size < 8 else 64 if size > 64 else size)


def rack_class():
    """tcp_rack.Rack, imported now; None in a build without it (apart from
    its callers: the handler would take their frames over 11 words)."""
    try:
        from .tcp_rack import Rack
        return Rack
    except ImportError:
        return None


def need_rack():
    """TcpSocket(rack=True): the build must have RACK."""
    if rack_class() is None:
        from .. import left_out
        raise ValueError(left_out("rack=True: ", "socket.tcp_rack", "rack"))


# --- closing --------------------------------------------------------------------
def fin_acked(s, now):
    """Our FIN is acknowledged (3.10.7.4 fifth). True if the connection is
    done with segments (TIME-WAIT or CLOSED)."""
    st = s.state
    if st == _FIN_WAIT_1:
        s.state = _FIN_WAIT_2
    elif st == _CLOSING:
        enter_time_wait(s, now)
        return True
    elif st == _LAST_ACK:
        close(s, 0)
        return True
    return False


def fin_received(s, now):
    """The peer's FIN, in sequence (3.10.7.4 eighth)."""
    s.rcv_nxt += 1
    s.rcv_adv += 1     # the FIN takes a sequence number, not buffer space
    s.fin_rcvd = True
    s.fin_ooo = False
    s.ack_now = True
    st = s.state
    if st == _ESTABLISHED or st == _SYN_RECEIVED:
        s.state = _CLOSE_WAIT
    elif st == _FIN_WAIT_1:
        if s.fin_sent and s.snd_una > s.fin_seq:
            enter_time_wait(s, now)
        else:
            s.state = _CLOSING
    elif st == _FIN_WAIT_2:
        enter_time_wait(s, now)


def enter_time_wait(s, now):
    s.state = _TIME_WAIT
    s.odd = True                     # (tcp_tx.odd)
    s.tw_at = ticks_add(now, s.time_wait_ms)
    s.rtx_on = False
    s.ack_pending = False


def reset_received(s):
    """An acceptable RST (3.10.7.3, 3.10.7.4 second)."""
    st = s.state
    if st == _SYN_RECEIVED and s.passive:
        back_to_listen(s)
    elif st == _SYN_SENT or st == _SYN_RECEIVED:
        close(s, _ECONNREFUSED)       # (SYN-RECEIVED: a simultaneous open)
    elif st == _CLOSING or st == _LAST_ACK or st == _TIME_WAIT:
        close(s, 0)
    else:
        close(s, _ECONNRESET)


def back_to_listen(s):
    """A passive open failed: listen again (a TcpListener's slot simply
    becomes free)."""
    if s.child:
        close(s, 0)
        return
    s._reset()
    s.error = 0
    s.local_set = s.bound_addr
    s.state = _LISTEN
    s.odd = True                     # (tcp_tx.odd)


def close(s, err):
    """Enter CLOSED: buffers flushed (RFC 9293 3.10.7.4 on RST), error
    recorded for the user (0: none)."""
    s._reset()
    s.error = err
