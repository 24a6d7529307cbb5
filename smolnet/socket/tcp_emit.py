# Building one TCP segment in the Interface's frame (RFC 9293 3.1): header,
# options, the window we advertise (RFC 1122 4.2.3.3 receiver SWS
# avoidance, RFC 7323 scaling), payload straight from the send ring, summed
# for the checksum while it is copied (RingBuffer.peek_sum: the Interface
# then reads only the header again). tcp_tx decides what to send; this
# writes it. Nothing here allocates.
#
# The segment travels in the socket: s.seg_flags and s.seg_n (set by the
# caller), s.seg_seq (set by emit()). emit() is split in steps that each
# keep their frame in the 11 words MicroPython keeps on the C stack (a call
# of tx_begin takes 8 of them, one of seq_put, tx_finish or peek_sum 6;
# tools/frame_sizes.py): emit -> _route (tx_begin), then _build -> _head
# (header and options), the payload and tx_finish.
from micropython import const
from time import ticks_add, ticks_diff
from ..fast import copy, seq_put, tcp_head
from ..wire import tcp as wire
from .tcp_conn import choose_iss
from .tcp_sack_tx import put_blocks

# copy of smolnet/socket/tcp.py's SYN_RECEIVED state (inlined here; test_const_copies.py checks)
_SYN_RECEIVED = const(3)
# copies of smolnet/wire/tcp.py's flags (_ACK is ACK_FLAG there; test_const_copies.py checks)
_FIN = const(0x01)
_SYN = const(0x02)
_RST = const(0x04)
_ACK = const(0x10)
# copies of smolnet/wire/tcp.py's option kinds
_OPT_NOP = const(1)
_OPT_TS = const(8)
# copy of smolnet/socket/tcp.py's PROTO
_PROTO = const(6)
# copies of smolnet/iface/interface.py's link header and IPv4 header lengths
_ETH = const(14)
_IP4_HLEN = const(20)

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
    edge = rn + s.rx.size - s.rx.length      # the free space's right edge
    if edge - adv < s.rx.size >> 1 and edge - adv < s.mss_adv:
        return False             # moved by less than min(buffer/2, MSS)
    if adv - s.last_ack_sent < (s.rcv_mss << 1) or s.quickack or s.asm.n:
        return True              # the peer may stall, or is recovering a loss
    return edge - rn >= (adv - rn) << 1


def rcv_wnd_field(s):
    """The window to advertise (scaled), moving s.rcv_adv. The right edge
    never moves left (RFC 9293 3.8.6.2.2) and only moves right in steps of
    at least min(buffer/2, MSS), as in wnd_update_due()."""
    rn = s.rcv_nxt
    adv = s.rcv_adv
    e = rn + s.rx.size - s.rx.length
    if e < adv or (e - adv < s.rx.size >> 1 and e - adv < s.mss_adv):
        e = adv if adv > rn else rn
    # the answer again, while RCV.NXT and the ring's data stay (what it
    # depends on but RCV.ADV, which only this moves after the handshake,
    # and again to the same answer: _head() asks s.wnd_f then): a sender's
    # every segment, with nothing received
    s.wnd_n = rn
    s.wnd_l = s.rx.length
    sh = s.rcv_ws
    if sh == 0:
        # unscaled (a ring of 64 KB or less): the field is the window itself
        e -= rn                  # from here: the window
        if e > 0xFFFF:
            e = 0xFFFF
        if rn + e > adv:
            s.rcv_adv = rn + e
        s.wnd_f = e
        return e
    f = (e - rn) >> sh
    if rn + (f << sh) < e and rn + (f << sh) < adv:
        f += 1                   # rounded down, the edge would move left
    if f > 0xFFFF:
        f = 0xFFFF
    e = rn + (f << sh)
    if e > adv:
        s.rcv_adv = e
    s.wnd_f = f
    return f


def emit(s, iface, now, seq):
    """Build and send one segment from seq: flags s.seg_flags, s.seg_n
    bytes of data from the tx ring. Returns the data bytes sent (s.seg_n,
    cut if the link or the peer's MSS takes fewer, the FIN then cleared
    from s.seg_flags), -1 if the neighbor is unresolved (nothing sent, try
    again later). Without a route (or a neighbor that never answers) the
    segment counts as sent and lost, with s.no_route set."""
    if s.rc_gen == iface.neighbors.gen and ticks_diff(s.rc_until, now) > 0:
        # what tx_begin() answered last time, kept (_keep_route): nothing
        # it depends on changed since (iface.neighbors.gen) and the
        # neighbor entry it used still lives (its lifetime as
        # neighbor.lookup counts it; past it tx_begin runs, and with it
        # ARP). Written where tx_begin writes it (the contract in
        # interface.py); here, not in a function: a call fewer a segment
        iface.tx_alen = 4
        copy(iface.tx_dst, 0, s.remote_addr, 0, 4)
        copy(iface.tx_src, 0, s.rc, 14, 4)
        copy(iface.tx_buf, 0, s.rc, 0, 14)
        iface.tx_room = iface.ip_mtu - _IP4_HLEN
        off = _ETH + _IP4_HLEN
    else:
        off = _route(s, iface, now)
        if off < 0:
            return _unsent(s, now, off)
        if iface.tx_until != -1:
            _keep_route(s, iface)
        # (no need with a kept answer: it was kept by a segment that came
        # here, and these are set again only by a miss (_unsent) or after
        # a _reset() (connect), which forgets it)
        if s.holding or s.no_route:
            s.holding = False
            s.no_route = False
        if not s.local_set:
            _take_source(s, iface)
        if s.iss_pending:
            choose_iss(s, now)
            seq = 0
    s.seg_seq = seq
    if s.ts_ok or s.seg_flags & _SYN:
        # the TSval _head writes (RFC 7323 3): tcp_ack.ts_now() written out,
        # a call fewer for every segment. seq (stored above): the ms since
        # the last, then the low half (a local more would take the frame
        # past 11 words)
        seq = ticks_diff(now, s.ts_last)
        if seq > 0:
            seq += s.ts_lo
            if seq > 0xFFFF:     # the carry into the high half
                s.ts_hi = (s.ts_hi + (seq >> 16)) & 0xFFFF
                seq &= 0xFFFF
            s.ts_lo = seq
            s.ts_last = now
    return _build(s, iface, off)


def _route(s, iface, now):
    # the call alone: its 6 arguments fill the frame
    return iface.tx_begin(s.remote_addr, 0, s.alen, s.local_addr if s.local_set else None,
                          0, now)


def _keep_route(s, iface):
    # tx_begin's answer, to be kept: emit() uses it while
    # iface.neighbors.gen stays and the neighbor entry lives
    s.rc_until = iface.keep_answer(s.rc)
    s.rc_gen = iface.neighbors.gen


def _unsent(s, now, off):
    """tx_begin() found no neighbor yet (off -1) or no route (-2)."""
    if off == -1:
        if not s.holding:
            s.holding = True
            s.hold_start = now
        if ticks_diff(now, s.hold_start) < _NEIGHBOR_GIVE_UP_MS:
            s.hold = True
            s.odd = True         # (tcp_tx.odd)
            s.hold_until = ticks_add(now, _HOLD_MS)
            return -1
        # the neighbor does not answer: from here on like a lost segment
        # (timers, backoff and the user timeout take over)
    s.holding = False
    s.drops += 1
    s.no_route = True
    if s.seg_flags & _ACK:
        s.ack_now = False
        s.ack_pending = False
    return s.seg_n


def _take_source(s, iface):
    # the first segment of a connection without a bound address: the
    # source address the route chose
    copy(s.local_addr, 0, iface.tx_src, 0, s.alen)
    s.local_set = True


def _build(s, iface, off):
    """The segment at off in iface.tx_buf (emit() routed it), sent."""
    hlen = _head(s, iface, off)
    psum = 0
    if s.seg_n > 0:
        psum = s.tx.peek_sum(iface.tx_buf, off + hlen, s.seg_seq - s.snd_una - s.syn_unacked,
                             s.seg_n)
    iface.tx_finish(_PROTO, hlen + s.seg_n, hlen, psum)
    s.tx_segments = s.tx_segments + 1 if s.tx_segments < 0x3FFFFFFF else 0
    return s.seg_n


def _head(s, iface, off):
    """The header at off, options and all (RFC 9293 3.1); returns its
    length, and cuts s.seg_n to what the frame and the peer's MSS take with
    these options. The checksum is left 0 for the Interface to fill.
    fast.tcp_head writes the fixed header and the TS option from the
    socket's fields in one call. This is every ACK segment (all but a SYN
    and a RST)."""
    if s.seg_flags & (_SYN | _RST):
        return _head_syn_rst(s, iface, off)
    hlen = 32 if s.ts_ok else 20     # NOP, NOP, TS (RFC 7323 3.2)
    if s.asm.n and s.sack_ok:
        # SACK blocks only while data is out of order (RFC 2018 4)
        hlen = put_blocks(s, iface.tx_buf, off, hlen)
    if s.seg_n > iface.tx_room - hlen or s.seg_n > s.seg_mss + 20 - hlen:
        _cut(s, iface, hlen)
    # the window (s.wnd_f: rcv_wnd_field()'s answer, kept while RCV.NXT
    # and the ring's data stay)
    if s.rcv_nxt != s.wnd_n or s.rx.length != s.wnd_l:
        rcv_wnd_field(s)
    tcp_head(iface.tx_buf, off, s, hlen)
    s.last_ack_sent = s.rcv_nxt
    if s.ack_now or s.ack_pending:   # (a look costs less than a store)
        s.ack_now = False
        s.ack_pending = False
    return hlen


def _head_syn_rst(s, iface, off):
    # _head() for a SYN (options, RFC 9293 3.1, 3.7.1) and a RST (none):
    # no data, nothing to cut
    buf = iface.tx_buf
    hlen = 20
    if s.seg_flags & _SYN:
        hlen = _syn_options(s, iface, buf, off)
    seq_put(buf, off, s.local_port, s.remote_port, 0)
    if s.seg_flags & _RST:
        # <SEQ=rst_hi:rst_lo>: the SEG.ACK of a bad segment, or SND.NXT of
        # an aborted connection
        seq_put(buf, off + 4, s.rst_hi, s.rst_lo, 0)
        wire.zero32(buf, off + 8)
    else:
        seq_put(buf, off + 4, s.snd_bhi, s.snd_blo, s.seg_seq)
        if s.seg_flags & _ACK:
            seq_put(buf, off + 8, s.rcv_bhi, s.rcv_blo, s.rcv_nxt)
            s.last_ack_sent = s.rcv_nxt
            s.ack_now = False
            s.ack_pending = False
        else:
            wire.zero32(buf, off + 8)
    seq_put(buf, off + 12, (hlen << 10) | s.seg_flags, _other_window(s), 0)
    seq_put(buf, off + 16, 0, 0, 0)  # checksum, urgent pointer
    return hlen


def _other_window(s):
    # a SYN's window is never scaled (RFC 7323 2.2); a RST has none
    if s.seg_flags & _RST:
        return 0
    w = s.rx.size - s.rx.length
    return w if w < 0xFFFF else 0xFFFF


def _cut(s, iface, hlen):
    # the data is more than the frame or the peer's MSS (which options
    # count against, RFC 9293 3.7.1) take: send what fits, the FIN later
    room = iface.tx_room - hlen
    if room > s.seg_mss + 20 - hlen:
        room = s.seg_mss + 20 - hlen
    s.seg_n = room if room > 0 else 0
    s.seg_flags &= ~_FIN


def _syn_options(s, iface, buf, off):
    # MSS, then timestamps and SACK-permitted, then window scale; returns
    # the header length
    mss = iface.ip_mtu - (40 if s.alen == 4 else 60)
    s.mss_adv = mss
    if s.rcv_mss > mss:
        s.rcv_mss = mss
    p = wire.put_mss(buf, off + 20, mss)
    answer = s.state == _SYN_RECEIVED
    sack = s.sack_ok if answer else s.sack
    if s.ts_ok if answer else s.timestamps:
        p = _put_ts(s, buf, p, sack)
    elif sack:
        p = wire.put_sack_perm(buf, p)
    # in a SYN-ACK only what the peer's SYN offered (RFC 7323 2.2, RFC 2018 2)
    if s.ws_ok if answer else s.window_scale:
        p = wire.put_ws(buf, p, s.rcv_ws_want)
    return p - off


def _put_ts(s, buf, p, with_sack_perm):
    # a SYN's TS option (emit advanced the clock): TSecr only in a SYN-ACK
    p = wire.put_ts_head(buf, p, with_sack_perm)
    seq_put(buf, p, s.ts_hi, s.ts_lo, 0)
    if s.ts_ok:
        seq_put(buf, p + 4, s.ts_recent_hi, s.ts_recent_lo, 0)
    else:
        wire.zero32(buf, p + 4)
    return p + 8
