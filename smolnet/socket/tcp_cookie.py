# SYN cookies (RFC 4987 3.6) for a TcpListener whose slots are all taken.
#
# A SYN that finds no free slot is answered statelessly: our ISS (the
# cookie) encodes everything the connection needs, and the ACK completing
# the handshake proves the peer received it. The layout follows Linux
# (net/ipv4/syncookies.c), in 32-bit arithmetic mod 2**32:
#
#   cookie = H(tuple, 0) + SEG.SEQ + (count << 24)
#            + ((H(tuple, 0x100 | count) + mss_index) & 0xFFFFFF)
#
# count is a coarse clock (ms >> 16: one step per ~65 s); a cookie is good
# for the count it was made in and the next one. mss_index picks from
# MSS_TABLE the largest entry not above the peer's MSS. The options that do
# not fit (window scale, SACK-permitted) ride in the low 6 bits of our
# TSval, which the peer echoes in TSecr (as Linux does): bits 0-3 the
# peer's window shift (15: none), bit 4 SACK-permitted. Without timestamps
# the connection gets neither, like Linux's.
#
# H is a keyed 16-bit-lane ARX hash in the shape of SipHash (2 rounds per
# word, 4 to finish) over the addresses, the ports and a salt, keyed from
# the same secret as the ISNs (tcp_isn.py). Everything is held as 16-bit
# halves, so no 32-bit int is ever boxed on a 32-bit port, and nothing
# here allocates after __init__: a flood costs CPU, never memory.
#
# The SYN-ACK (and the RST for a bad cookie ACK) is sent from process()
# itself, the way the Interface answers a closed port: nothing is kept to
# send later, so no queue can fill up and crowd a real client out. A reply
# whose neighbor is not resolved is dropped, not held (tx_begin has sent
# the ARP request; a spoofed source never answers it, a real client's next
# retry finds it resolved).
from micropython import const
from time import ticks_diff
from ..fast import copy
from ..wire import tcp as wire
from .tcp_isn import _secret
from .tcp_conn import establish, sack_state, close

MSS_TABLE = (536, 1220, 1440, 1460)
_M = const(0xFFFF)
# copies of smolnet/wire/tcp.py's flags (_ACK is ACK_FLAG there; test_const_copies.py checks)
_SYN = const(0x02)
_ACK = const(0x10)

# copy of smolnet/socket/tcp.py's SYN_RECEIVED (test_const_copies.py checks)
_SYN_RECEIVED = const(3)

_NO_WS = const(0x0F)
_SACK_BIT = const(0x10)


class Cookies:
    def __init__(self):
        k = _secret()
        self.k0 = (k[16] << 8) | k[17]
        self.k1 = (k[18] << 8) | k[19]
        self.k2 = (k[20] << 8) | k[21]
        self.k3 = (k[22] << 8) | k[23]
        self.h_hi = 0                # the last hash, as halves
        self.h_lo = 0
        self.armed = False           # cookies went out: ACKs may carry one
        self.last_count = 0
        # what check() decoded
        self.mss = 536
        self.ws = -1
        self.sack = False
        self.ts = False
        # counters
        self.sent = 0                # SYN-ACKs with a cookie sent
        self.accepted = 0            # ACKs whose cookie was good
        self.bad = 0                 # ACKs whose cookie was not (answered RST)
        self.unresolved = 0          # replies dropped: no neighbor (yet)

    # --- the keyed hash -----------------------------------------------------
    def _hash(self, b, soff, doff, alen, l4, salt):
        """H over remote address, local address, the two ports and salt,
        words taken straight from the frame; result in h_hi / h_lo."""
        v0 = self.k0 ^ 0x736F
        v1 = self.k1 ^ 0x6D65
        v2 = self.k2 ^ 0x6C79
        v3 = self.k3 ^ 0x7465
        n = alen + 3                 # alen/2 words per address, 3 more
        h = alen >> 1
        for i in range(n + 2):
            if i < h:
                m = (b[soff + 2 * i] << 8) | b[soff + 2 * i + 1]
            elif i < alen:
                j = doff + 2 * (i - h)
                m = (b[j] << 8) | b[j + 1]
            elif i < alen + 2:
                j = l4 + 2 * (i - alen)
                m = (b[j] << 8) | b[j + 1]
            elif i == alen + 2:
                m = salt & _M
            else:
                m = 0
                if i == n:
                    v2 ^= 0xFF       # finalization (two more words' rounds)
            v3 ^= m
            for _ in range(2):       # SipRound on 16-bit lanes
                v0 = (v0 + v1) & _M
                v1 = (((v1 << 5) | (v1 >> 11)) & _M) ^ v0
                v0 = ((v0 << 8) | (v0 >> 8)) & _M
                v2 = (v2 + v3) & _M
                v3 = (((v3 << 7) | (v3 >> 9)) & _M) ^ v2
                v0 = (v0 + v3) & _M
                v3 = (((v3 << 3) | (v3 >> 13)) & _M) ^ v0
                v2 = (v2 + v1) & _M
                v1 = (((v1 << 9) | (v1 >> 7)) & _M) ^ v2
                v2 = ((v2 << 8) | (v2 >> 8)) & _M
            v0 ^= m
        self.h_hi = v0 ^ v1
        self.h_lo = v2 ^ v3

    # --- answering a SYN ----------------------------------------------------
    def syn(self, t, iface, l4, o, now):
        """Send the SYN-ACK with a cookie for the SYN at iface.rx_buf[l4]
        (options already parsed into o). t: one of the listener's sockets,
        for its settings (buffer, options offered)."""
        b = iface.rx_buf
        alen = iface.rx_alen
        soff = iface.rx_src_off
        doff = iface.rx_dst_off
        h = iface.tx_begin(b, soff, alen, b, doff, now)
        if h < 0:
            self.unresolved += 1
            return
        q = iface.tx_buf
        mss = o.mss if o.mss else (536 if alen == 4 else 1220)
        mi = 0
        while mi < 3 and MSS_TABLE[mi + 1] <= mss:
            mi += 1
        c = (now >> 16) & 0xFF
        # low 24 bits: H(tuple, count) + mss index; top 8: count
        self._hash(b, soff, doff, alen, l4, 0x100 | c)
        lo = self.h_lo + mi
        hi = ((self.h_hi + (lo >> 16)) & 0xFF) | (c << 8)
        lo &= _M
        # + H(tuple, 0) + SEG.SEQ
        self._hash(b, soff, doff, alen, l4, 0)
        lo += self.h_lo + ((b[l4 + 6] << 8) | b[l4 + 7])
        hi = (hi + self.h_hi + ((b[l4 + 4] << 8) | b[l4 + 5]) + (lo >> 16)) & _M
        _put_halves(q, h + 4, hi, lo & _M)
        # ACK = SEG.SEQ + 1
        lo = ((b[l4 + 6] << 8) | b[l4 + 7]) + 1
        _put_halves(q, h + 8, ((b[l4 + 4] << 8) | b[l4 + 5]) + (lo >> 16), lo)
        p = wire.put_mss(q, h + 20, iface.ip_mtu - (40 if alen == 4 else 60))
        if o.ts and t.timestamps:
            sack = o.sack_perm and t.sack
            ws = o.ws >= 0 and t.window_scale
            p = wire.put_ts_head(q, p, sack)
            self._tsval(b, soff, doff, alen, l4, now,
                        (o.ws if ws else _NO_WS) | (_SACK_BIT if sack else 0))
            _put_halves(q, p, self.h_hi, self.h_lo)
            copy(q, p + 4, b, o.ts_off, 4)          # TSecr = the SYN's TSval
            p += 8
            if ws:
                p = wire.put_ws(q, p, t.rcv_ws_want)
        w = t.rx.size
        wire.put_header(q, h, (b[l4 + 2] << 8) | b[l4 + 3], (b[l4] << 8) | b[l4 + 1],
                        _SYN | _ACK, p - h, w if w < 0xFFFF else 0xFFFF)
        iface.tx_finish(6, p - h)
        self.sent += 1
        self.armed = True
        self.last_count = c

    def _tsval(self, b, soff, doff, alen, l4, now, bits):
        """Our TSval for a cookie SYN-ACK: a per-tuple offset plus now, its
        low 6 bits replaced by `bits`, and never ahead of that clock (the
        connection's TSvals continue from TSecr: they must not go back)."""
        self._hash(b, soff, doff, alen, l4, 2)
        lo = self.h_lo + (now & _M)
        hi = (self.h_hi + ((now >> 16) & _M) + (lo >> 16)) & _M
        lo &= _M
        if bits > (lo & 0x3F):
            if lo < 64:
                hi = (hi - 1) & _M
            lo = (lo - 64) & _M
        self.h_hi = hi
        self.h_lo = (lo & ~0x3F) | bits

    def rst(self, iface, l4, l4_len, now):
        """Send the RST a closed port gives (RFC 9293 3.10.7.1) for an ACK
        that carried no good cookie."""
        b = iface.rx_buf
        off = iface.tx_begin(b, iface.rx_src_off, iface.rx_alen, b, iface.rx_dst_off, now)
        if off < 0:
            self.unresolved += 1
            return
        n = wire.emit_rst_reply(iface.tx_buf, off, b, l4, l4_len)
        if n:
            iface.tx_finish(6, n)

    # --- checking an ACK ------------------------------------------------------
    def check(self, iface, l4, o, now):
        """True if the ACK at iface.rx_buf[l4] carries a cookie we made
        (SEG.ACK - 1) for this 4-tuple and SEG.SEQ - 1 in this count or the
        one before; sets mss / ws / sack / ts from it."""
        c = (now >> 16) & 0xFF
        if not self.armed:
            return False
        if (c - self.last_count) & 0xFF > 1:
            self.armed = False       # no cookie sent for two counts
            return False
        b = iface.rx_buf
        alen = iface.rx_alen
        soff = iface.rx_src_off
        doff = iface.rx_dst_off
        # v = (SEG.ACK - 1) - H(tuple, 0) - (SEG.SEQ - 1) = SEG.ACK - SEG.SEQ - H
        self._hash(b, soff, doff, alen, l4, 0)
        lo = ((b[l4 + 10] << 8) | b[l4 + 11]) - ((b[l4 + 6] << 8) | b[l4 + 7]) - self.h_lo
        hi = ((b[l4 + 8] << 8) | b[l4 + 9]) - ((b[l4 + 4] << 8) | b[l4 + 5]) - self.h_hi
        hi = (hi + (lo >> 16)) & _M          # (lo >> 16 is the borrow, -1 or -2)
        lo &= _M
        k = hi >> 8
        if (c - k) & 0xFF > 1:
            return False
        self._hash(b, soff, doff, alen, l4, 0x100 | k)
        lo -= self.h_lo
        hi = (hi - self.h_hi + (lo >> 16)) & 0xFF
        lo &= _M
        if hi or lo > 3:
            return False
        self.mss = MSS_TABLE[lo]
        self.ts = o.ts
        self.ws = -1
        self.sack = False
        if o.ts:
            x = b[o.ts_off + 7] & 0x3F       # low bits of TSecr
            self.ws = -1 if x & 0x0F == _NO_WS else x & 0x0F
            self.sack = x & _SACK_BIT != 0
        return True

    def clear(self):
        self.armed = False


def _put_halves(buf, off, hi, lo):
    buf[off] = (hi >> 8) & 0xFF
    buf[off + 1] = hi & 0xFF
    buf[off + 2] = (lo >> 8) & 0xFF
    buf[off + 3] = lo & 0xFF


def open_from_cookie(s, ck, iface, l4, o, now):
    """Make the LISTEN socket s the connection a good cookie ACK completes
    (ck.check() just decoded it): ISS = SEG.ACK - 1, IRS = SEG.SEQ - 1,
    ESTABLISHED. The caller then hands s the ACK itself (window, data)."""
    b = iface.rx_buf
    a = iface.rx_alen
    s.alen = a
    copy(s.remote_addr, 0, b, iface.rx_src_off, a)
    if not s.bound_addr:
        copy(s.local_addr, 0, b, iface.rx_dst_off, a)
    s.local_set = True
    s.remote_port = (b[l4] << 8) | b[l4 + 1]
    s.passive = True
    lo = (b[l4 + 6] << 8) | b[l4 + 7]
    s.rcv_bhi = (((b[l4 + 4] << 8) | b[l4 + 5]) - (1 if lo == 0 else 0)) & _M
    s.rcv_blo = (lo - 1) & _M
    lo = (b[l4 + 10] << 8) | b[l4 + 11]
    s.snd_bhi = (((b[l4 + 8] << 8) | b[l4 + 9]) - (1 if lo == 0 else 0)) & _M
    s.snd_blo = (lo - 1) & _M
    s.iss_pending = False
    s.rcv_nxt = 1
    s.last_ack_sent = 1
    w = s.rx.size
    s.rcv_adv = 1 + (w if w < 0xFFFF else 0xFFFF)   # what the SYN-ACK offered
    s.wnd_n = -1                 # (tcp_emit.rcv_wnd_field's kept answer: none)
    s.snd_una = 1
    s.snd_nxt = 1
    s.snd_max = 1
    s.syn_unacked = 0
    s.snd_wnd = 0
    s.snd_wl1 = 0                    # the ACK itself sets the window
    s.snd_wl2 = 1
    s.snd_mss = ck.mss
    s.mss_adv = iface.ip_mtu - (40 if a == 4 else 60)
    if s.rcv_mss > s.mss_adv:
        s.rcv_mss = s.mss_adv
    s.ws_ok = ck.ws >= 0 and s.window_scale
    s.snd_ws = ck.ws if s.ws_ok else 0
    s.rcv_ws = s.rcv_ws_want if s.ws_ok else 0
    s.sack_ok = ck.sack and s.sack
    if s.sack_ok:
        sack_state(s)
    s.ts_ok = ck.ts and s.timestamps
    if s.ts_ok:
        # our clock goes on from the TSval the peer echoes; TS.Recent is
        # its TSval (taken again when the ACK is processed)
        s.ts_hi = (b[o.ts_off + 4] << 8) | b[o.ts_off + 5]
        s.ts_lo = (b[o.ts_off + 6] << 8) | b[o.ts_off + 7]
        s.ts_last = now
        s.ts_recent_hi = (b[o.ts_off] << 8) | b[o.ts_off + 1]
        s.ts_recent_lo = (b[o.ts_off + 2] << 8) | b[o.ts_off + 3]
    s.last_rx = now
    establish(s, now)


def ack(L, iface, l4, l4_len, now):
    """TcpListener L's ACK for no pending connection, its cookies armed:
    with a good cookie it becomes one, in a free slot or in that of the
    oldest half-open connection (RFC 4987 3.4: a peer that proved its
    address beats one that has not); else it gets the RST any closed port
    gives. (Here, not in tcp_listen.py: a build without cookies has no use
    for it.)"""
    ck = L.cookies
    if not ck.check(iface, l4, L.opt, now):
        ck.bad += 1
        ck.rst(iface, l4, l4_len, now)
        return
    s = _free_slot(L)
    if s is None:
        L.syn_dropped += 1       # the accept queue is full of established
        return
    ck.accepted += 1
    p = L.port
    if L.any_port:
        p = (iface.rx_buf[l4 + 2] << 8) | iface.rx_buf[l4 + 3]
    s.listen(p, L.addr)
    open_from_cookie(s, ck, iface, l4, L.opt, now)
    s.process(iface, l4, l4_len, now)


def _free_slot(L):
    """A CLOSED slot of L, else its oldest SYN-RECEIVED one (evicted), else
    None."""
    s = L._closed_slot()
    if s is not None:
        return s
    old = None
    for s in L.slots:
        if s.state == _SYN_RECEIVED and (old is None or ticks_diff(s.last_rx, old.last_rx) < 0):
            old = s
    if old is not None:
        close(old, 0)            # silently: its peer is likely spoofed
        L.evicted += 1
    return old
