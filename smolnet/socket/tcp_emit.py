# Building one TCP segment in the Interface's frame (RFC 9293 3.1): header,
# options, the window we advertise (RFC 1122 4.2.3.3 receiver SWS
# avoidance, RFC 7323 scaling), payload straight from the send ring, summed
# for the checksum while it is copied (RingBuffer.peek_sum: the Interface
# then reads only the header again). tcp_tx decides what to send; this
# writes it. Nothing here allocates.
from micropython import const
from time import ticks_add, ticks_diff
from ..fast import copy, seq_put
from ..wire import tcp as wire
from .tcp_ack import ts_now
from .tcp_conn import choose_iss
from .tcp_sack_tx import put_blocks

# copy of smolnet/socket/tcp.py's SYN_RECEIVED state (inlined here; test_const_copies.py checks)
_SYN_RECEIVED = const(3)
# copies of smolnet/wire/tcp.py's flags (_ACK is ACK_FLAG there; test_const_copies.py checks)
_FIN = const(0x01)
_SYN = const(0x02)
_RST = const(0x04)
_ACK = const(0x10)
# copy of smolnet/socket/tcp.py's PROTO
_PROTO = const(6)
_HOLD_MS = const(20)         # wait for a neighbor (ARP) before trying again
_NEIGHBOR_GIVE_UP_MS = const(3000)   # then treat the segment as lost (Linux: 3 ARP tries)


def wnd_update_due(s):
    """After the application read: is a window update due as a segment of
    its own? Receiver SWS avoidance (RFC 1122 4.2.3.3, RFC 9293 3.8.6.2.2)
    lets the right edge move only once it can by min(buffer/2, MSS). Even
    then the update waits for the next ACK (RFC 1122 4.2.3.3: SWS avoidance
    "combines with the delayed ACK algorithm" to decide when the window is
    sent) while the window last announced still lets the peer send two full
    segments, which draw that ACK at once (RFC 5681 4.2, tcp_rx._data), and
    the read did not at least double it (as Linux's tcp_cleanup_rbuf): one
    ACK per receive cycle, carrying the latest window, instead of an ACK
    and a window update with the same ACK number."""
    rn = s.rcv_nxt
    adv = s.rcv_adv
    edge = rn + s.rx.free()
    if edge - adv < _sws_step(s):
        return False
    if adv - s.last_ack_sent < (s.rcv_mss << 1) or s.quickack or not s.asm.is_empty():
        return True              # the peer may stall, or is recovering a loss
    return edge - rn >= (adv - rn) << 1


def _sws_step(s):
    h = s.rx.size >> 1
    m = s.mss_adv
    return h if h < m else m


def rcv_wnd_field(s):
    """The window to advertise (scaled), moving s.rcv_adv. The right edge
    never moves left (RFC 9293 3.8.6.2.2) and only moves right in steps of
    at least _sws_step."""
    rn = s.rcv_nxt
    edge = rn + s.rx.free()
    adv = s.rcv_adv
    if edge < adv or edge - adv < _sws_step(s):
        edge = adv if adv > rn else rn
    sh = s.rcv_ws
    w = edge - rn
    f = w >> sh
    if (f << sh) < w and rn + (f << sh) < adv:
        f += 1
    if f > 0xFFFF:
        f = 0xFFFF
    e = rn + (f << sh)
    if e > adv:
        s.rcv_adv = e
    return f



def emit(s, iface, now, seq, flags, at, n):
    """Build and send one segment: header, options, n bytes from the tx
    ring at offset `at`. Returns the data bytes sent (n, or fewer if the
    link is smaller), -1 if the neighbor is unresolved (nothing sent, try
    again later). Without a route (or a neighbor that never answers) the
    segment counts as sent and lost, with s.no_route set."""
    off = iface.tx_begin(s.remote_addr, 0, s.alen, s.local_addr if s.local_set else None,
                         0, now)
    if off < 0:
        if off == -1:
            if not s.holding:
                s.holding = True
                s.hold_start = now
            if ticks_diff(now, s.hold_start) < _NEIGHBOR_GIVE_UP_MS:
                s.hold = True
                s.hold_until = ticks_add(now, _HOLD_MS)
                return -1
            # the neighbor does not answer: from here on like a lost segment
            # (timers, backoff and the user timeout take over)
        s.holding = False
        s.drops += 1
        s.no_route = True
        s.sent_flags = flags
        if flags & _ACK:
            s.ack_now = False
            s.ack_pending = False
        return n
    s.holding = False
    s.no_route = False
    if not s.local_set:
        copy(s.local_addr, 0, iface.tx_src, 0, s.alen)
        s.local_set = True
    if s.iss_pending:
        choose_iss(s, now)
        seq = 0
    buf = iface.tx_buf
    p = off + 20
    if flags & _SYN:
        p = _syn_options(s, iface, buf, p, now)
    elif not flags & _RST:
        if s.ts_ok:
            p = _put_ts(s, buf, p, False, now)
        if s.sack_ok and flags & _ACK:
            p = put_blocks(s, buf, p, off + 60)
    hlen = p - off
    room = iface.tx_room - hlen
    lim = s.seg_mss - hlen + 20
    if lim < room:
        room = lim
    if n > room:
        n = room if room > 0 else 0
        flags &= ~_FIN
    psum = 0
    if n > 0:
        psum = s.tx.peek_sum(buf, p, at, n, 0)
    if flags & _RST:
        wire.put_header(buf, off, s.local_port, s.remote_port, flags, hlen, 0)
        seq_put(buf, off + 4, s.rst_hi, s.rst_lo, 0)
        wire.zero32(buf, off + 8)
    else:
        if flags & _SYN:
            w = s.rx.free()
            if w > 0xFFFF:
                w = 0xFFFF
        else:
            w = rcv_wnd_field(s)
        wire.put_header(buf, off, s.local_port, s.remote_port, flags, hlen, w)
        seq_put(buf, off + 4, s.snd_bhi, s.snd_blo, seq)
        if flags & _ACK:
            seq_put(buf, off + 8, s.rcv_bhi, s.rcv_blo, s.rcv_nxt)
            s.last_ack_sent = s.rcv_nxt
            s.ack_now = False
            s.ack_pending = False
        else:
            wire.zero32(buf, off + 8)
    iface.tx_finish(_PROTO, hlen + n, hlen, psum)
    s.tx_segments = s.tx_segments + 1 if s.tx_segments < 0x3FFFFFFF else 0
    s.sent_flags = flags
    return n


def _syn_options(s, iface, buf, p, now):
    mss = iface.ip_mtu - (40 if s.alen == 4 else 60)
    s.mss_adv = mss
    if s.rcv_mss > mss:
        s.rcv_mss = mss
    p = wire.put_mss(buf, p, mss)
    answer = s.state == _SYN_RECEIVED
    sack = s.sack_ok if answer else s.sack
    ts = s.ts_ok if answer else s.timestamps
    if ts:
        p = _put_ts(s, buf, p, sack, now)
    elif sack:
        p = wire.put_sack_perm(buf, p)
    # in a SYN-ACK only what the peer's SYN offered (RFC 7323 2.2, RFC 2018 2)
    if s.ws_ok if answer else s.window_scale:
        p = wire.put_ws(buf, p, s.rcv_ws_want)
    return p


def _put_ts(s, buf, p, with_sack_perm, now):
    ts_now(s, now)
    p = wire.put_ts_head(buf, p, with_sack_perm)
    seq_put(buf, p, s.ts_hi, s.ts_lo, 0)
    if s.ts_ok:
        seq_put(buf, p + 4, s.ts_recent_hi, s.ts_recent_lo, 0)
    else:
        wire.zero32(buf, p + 4)
    return p + 8
