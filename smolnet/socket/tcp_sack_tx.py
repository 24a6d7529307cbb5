# SACK on the wire for one TcpSocket `s`: the blocks we send (RFC 2018 4)
# and the retransmissions the peer's blocks call for (RFC 6675 5).
from micropython import const
from ..wire import tcp as wire
from ..fast import seq_put

# copy of smolnet/wire/tcp.py's ACK_FLAG (_ACK is ACK_FLAG there; test_const_copies.py checks)
_ACK = const(0x10)


def put_blocks(s, buf, off, hlen):
    """Append a SACK option to the header of hlen bytes at off: the receive
    assembler's out-of-order blocks, most recent first (RFC 2018 4), as
    many as fit in 60 bytes of header. Returns the new header length.
    tcp_emit calls it only while there are blocks: it runs in loss
    recovery, not on every segment."""
    n = s.asm.n
    if n > (56 - hlen) >> 3:
        n = (56 - hlen) >> 3       # 4 bytes of option head, then 8 a block
    if n <= 0:
        return hlen
    off = wire.put_sack_head(buf, off + hlen, n)    # from here: the blocks' place
    hlen += 4 + (n << 3)
    while n > 0:                   # the last block first
        n -= 1
        i = s.asm.sack_index(n)
        rel = s.rcv_nxt + s.asm.start(i)
        seq_put(buf, off + (n << 3), s.rcv_bhi, s.rcv_blo, rel)
        rel = s.rcv_nxt + s.asm.end(i)
        seq_put(buf, off + (n << 3) + 4, s.rcv_bhi, s.rcv_blo, rel)
    return hlen


def next_seg(s, rule):
    """RFC 6675 NextSeg, rules 1 (a lost hole) and 3 (any hole the peer
    reported around), above HighRxt, if the pipe leaves a segment's room in
    cwnd. Rule 1 also takes what RACK marked lost, below HighRxt too: a
    lost retransmission goes again (RFC 8985 6.2 step 5). Returns the
    sequence number (send-relative) to retransmit, with the length in
    s.seg_n, or -1."""
    high = s.snd_max - s.snd_una
    hrx = s.high_rxt - s.snd_una
    if hrx < 0:
        hrx = 0
    if s.cc.cwnd - pipe(s, high, hrx) < s.eff_mss:
        return -1
    if rule == 1:
        off = s.sb.next_lost(hrx)
        n = s.sb.hole_len
        # from here hrx is RACK's first lost byte (its length in hole_len):
        # the frame has no room for another name
        hrx = s.rack.first_lost(s.sb, s.snd_una, 0)
        if hrx >= 0 and (off < 0 or hrx < off):
            off = hrx
            n = s.sb.hole_len
    else:
        off = s.sb.next_hole(hrx)
        n = s.sb.hole_len
    if off < 0:
        return -1
    if n > s.eff_mss:
        n = s.eff_mss
    if off + n > high:
        n = high - off
    if n <= 0:
        return -1
    s.seg_n = n
    return s.snd_una + off


def pipe(s, high, hrx):
    """RFC 6675 SetPipe, less what RACK knows is lost."""
    if hrx > high:
        hrx = high               # (as SetPipe clips it too)
    x = 0
    if s.rack.lost_n or s.rack.was_n:
        edge = s.sb.lost_edge()
        if edge > high:
            edge = high
        x = s.rack.pipe_excess(s.sb, s.snd_una, edge, hrx)
    return s.sb.pipe(high, hrx) - x


def pipe_room(s):
    """cwnd - pipe during SACK recovery (RFC 6675 5 step C)."""
    una = s.snd_una
    hrx = s.high_rxt - una
    if hrx < 0:
        hrx = 0
    return s.cc.cwnd - pipe(s, s.snd_max - una, hrx)
