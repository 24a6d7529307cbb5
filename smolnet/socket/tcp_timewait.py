# Compact TIME-WAIT records: what a TcpListener keeps for its accepted
# connections once they reach TIME-WAIT, so that their sockets (and their
# ring buffers) are CLOSED and reusable at once instead of for 2MSL.
#
# A connection in TIME-WAIT needs very little (RFC 9293 3.10.7.4): its
# 4-tuple, SND.NXT and RCV.NXT to ACK a retransmitted FIN (and restart the
# 2MSL timer), TS.Recent and a TSval clock when timestamps are on (PAWS
# rejects old duplicates, RFC 7323 5), and the end of its 2MSL. That is one
# 56-byte record in a preallocated bytearray plus three list entries for the
# times (ticks_ms values are small ints but may pass 2**30 on a 64-bit port);
# a TcpSocket with 4 KB buffers holds some 12 KB on the unix port.
#
# What a record does with a segment of its 4-tuple:
#   RST                     ignored: no TIME-WAIT assassination (RFC 1337 TW-fix;
#                           a full TcpSocket in TIME-WAIT still closes on an
#                           exact-sequence RST, as RFC 9293 says)
#   SYN, SEG.SEQ > RCV.NXT  a new incarnation (RFC 9293 3.10.7.4, RFC 6191):
#                           the record is dropped and the listener takes the
#                           SYN (TcpListener.accepts calls reopen())
#   old timestamp           dropped, challenge ACK (PAWS, RFC 7323 5.3)
#   FIN                     the peer's FIN again (our ACK was lost): ACK it,
#                           restart 2MSL
#   other SYN, data         ACK (rate-limited for bare segments, RFC 5961 7)
#   bare ACK at RCV.NXT     nothing
# When every record is in use, the one nearest its end is recycled early
# (counted in `evicted`): memory stays bounded, as Linux skips TIME-WAIT
# when its bucket table is full.
#
# Nothing here allocates after __init__.
from micropython import const
from time import ticks_add, ticks_diff
from ..fast import copy, equal, seq_get, seq_put
from ..wire import tcp as wire
from .tcp_emit import rcv_wnd_field
from .tcp_ack import ts_now
from .tcp_rx import paws_old, challenge_due

# copy of smolnet/socket/tcp.py's PROTO (inlined here; test_const_copies.py checks)
_PROTO = const(6)
# copies of smolnet/wire/tcp.py's flags (_ACK is ACK_FLAG there; test_const_copies.py checks)
_FIN = const(0x01)
_SYN = const(0x02)
_RST = const(0x04)
_ACK = const(0x10)

# one record, big-endian fields
_FLAGS = const(0)       # _USED | _ACK_DUE | _TS_OK
_ALEN = const(1)        # 4 or 16
_LPORT = const(2)
_RPORT = const(4)
_WIN = const(6)         # the window field our ACKs carry
_SND = const(8)         # SND.NXT (32 bits, as on the wire)
_RCV = const(12)        # RCV.NXT
_TSV = const(16)        # our TSval at ts_at[i]
_TSR = const(20)        # TS.Recent
_LADDR = const(24)      # 16 bytes
_RADDR = const(40)      # 16 bytes
_REC = const(56)

_USED = const(1)
_ACK_DUE = const(2)
_TS_OK = const(4)


def _get16(t, o):
    return (t[o] << 8) | t[o + 1]


def _put16(t, o, v):
    t[o] = (v >> 8) & 0xFF
    t[o + 1] = v & 0xFF


class TimeWaitTable:
    """`n` compact TIME-WAIT records (TcpListener(..., time_wait=n))."""

    def __init__(self, n):
        if n < 1:
            raise ValueError("time_wait")
        self.n = n
        self.t = bytearray(n * _REC)
        self.end = [0] * n      # ticks_ms when record i's 2MSL runs out
        self.life = [0] * n     # its 2MSL in ms (the socket's time_wait_ms)
        self.ts_at = [0] * n    # ticks_ms when its TSval was taken
        self.opt = wire.Options()
        self.challenge_ack_limit = 10
        self.owner = None       # the TcpListener, which take() makes due
        self.ch_start = 0
        self.ch_count = 0
        # counters
        self.taken = 0          # connections that went into a record
        self.evicted = 0        # records recycled before their 2MSL ended
        self.reopened = 0       # records ended by a new incarnation's SYN
        self.acks = 0           # ACKs sent from records
        self.rst_ignored = 0
        self.drops = 0

    def in_use(self):
        k = 0
        t = self.t
        for i in range(self.n):
            if t[i * _REC + _FLAGS] & _USED:
                k += 1
        return k

    # --- from a socket ------------------------------------------------------
    def take(self, s, now):
        """Copy TcpSocket `s` (in TIME-WAIT, receive buffer empty) into a
        record; the caller then closes `s`."""
        if self.owner is not None:
            self.owner.due_at = -2    # its dispatch runs the records (interface.py)
        t = self.t
        i = self._free_record(now)
        o = i * _REC
        fl = _USED
        if s.ack_now:
            fl |= _ACK_DUE
        if s.ts_ok:
            fl |= _TS_OK
            ts_now(s, now)
            _put16(t, o + _TSV, s.ts_hi)
            _put16(t, o + _TSV + 2, s.ts_lo)
            self.ts_at[i] = now
            _put16(t, o + _TSR, s.ts_recent_hi)
            _put16(t, o + _TSR + 2, s.ts_recent_lo)
        t[o + _FLAGS] = fl
        t[o + _ALEN] = s.alen
        _put16(t, o + _LPORT, s.local_port)
        _put16(t, o + _RPORT, s.remote_port)
        _put16(t, o + _WIN, rcv_wnd_field(s))
        seq_put(t, o + _SND, s.snd_bhi, s.snd_blo, s.snd_nxt)
        seq_put(t, o + _RCV, s.rcv_bhi, s.rcv_blo, s.rcv_nxt)
        self.end[i] = s.tw_at
        self.life[i] = s.time_wait_ms
        copy(t, o + _LADDR, s.local_addr, 0, 16)
        copy(t, o + _RADDR, s.remote_addr, 0, 16)
        self.taken += 1

    def _free_record(self, now):
        t = self.t
        end = self.end
        best = -1
        for i in range(self.n):
            if not t[i * _REC + _FLAGS] & _USED or ticks_diff(now, end[i]) >= 0:
                return i
            if best < 0 or ticks_diff(end[i], end[best]) < 0:
                best = i
        self.evicted += 1
        return best

    # --- the listener's Interface hooks ---------------------------------------
    def find(self, iface, l4_off):
        """Index of the record for this segment's 4-tuple, or -1."""
        b = iface.rx_buf
        t = self.t
        a = iface.rx_alen
        sp = (b[l4_off] << 8) | b[l4_off + 1]
        dp = (b[l4_off + 2] << 8) | b[l4_off + 3]
        for i in range(self.n):
            o = i * _REC
            if t[o + _FLAGS] & _USED and t[o + _ALEN] == a and \
                    _get16(t, o + _RPORT) == sp and _get16(t, o + _LPORT) == dp and \
                    equal(t, o + _RADDR, b, iface.rx_src_off, a) and \
                    equal(t, o + _LADDR, b, iface.rx_dst_off, a):
                return i
        return -1

    def reopen(self, i, b, l4_off):
        """A SYN beyond the old connection's RCV.NXT may start a new one
        (RFC 9293 3.10.7.4, RFC 6191): the record goes, True."""
        if b[l4_off + 13] & (_SYN | _ACK | _RST) != _SYN:
            return False
        t = self.t
        o = i * _REC
        if seq_get(b, l4_off + 4, _get16(t, o + _RCV), _get16(t, o + _RCV + 2)) <= 0:
            return False
        t[o + _FLAGS] = 0
        self.reopened += 1
        return True

    def process(self, i, iface, l4_off, l4_len, now):
        """One segment for record i (find())."""
        t = self.t
        o = i * _REC
        b = iface.rx_buf
        f = b[l4_off + 13]
        if f & _RST:
            self.rst_ignored += 1       # RFC 1337
            return
        hlen = (b[l4_off + 12] >> 4) << 2
        op = self.opt
        if hlen < 20 or hlen > l4_len:
            self.drops += 1
            return
        if hlen > 20:
            if not wire.parse_options(b, l4_off, hlen, op):
                self.drops += 1
                return
        else:
            op.clear()
        seq = seq_get(b, l4_off + 4, _get16(t, o + _RCV), _get16(t, o + _RCV + 2))
        ts = t[o + _FLAGS] & _TS_OK and op.ts
        if ts and paws_old(b, op.ts_off, _get16(t, o + _TSR), _get16(t, o + _TSR + 2)):
            self.drops += 1             # an old duplicate
            self._challenge(o, now)
            return
        if ts and seq <= 0:
            copy(t, o + _TSR, b, op.ts_off, 4)     # RFC 7323 4.3
        if f & _FIN and not f & _SYN:
            # the peer's FIN again: ACK it, 2MSL starts over
            self.end[i] = ticks_add(now, self.life[i])
            t[o + _FLAGS] |= _ACK_DUE
            return
        if l4_len > hlen and not f & _SYN:
            t[o + _FLAGS] |= _ACK_DUE   # data after the FIN: say where we are
            self.drops += 1
            return
        if seq != 0 or f & _SYN:
            self._challenge(o, now)
        elif not f & _ACK:
            self.drops += 1

    def _challenge(self, o, now):
        # the limit a TcpSocket keeps too, for the whole table (RFC 5961 7)
        if challenge_due(self, now):
            self.t[o + _FLAGS] |= _ACK_DUE

    def dispatch(self, iface, now):
        """End the records whose 2MSL is over; send one due ACK."""
        t = self.t
        for i in range(self.n):
            o = i * _REC
            fl = t[o + _FLAGS]
            if not fl & _USED:
                continue
            if ticks_diff(now, self.end[i]) >= 0:
                t[o + _FLAGS] = 0
                continue
            if fl & _ACK_DUE:
                t[o + _FLAGS] = fl & ~_ACK_DUE
                if self._send_ack(i, iface, now):
                    return True
        return False

    def poll_at(self, now):
        t = self.t
        d = -1
        for i in range(self.n):
            o = i * _REC
            fl = t[o + _FLAGS]
            if fl & _USED:
                if fl & _ACK_DUE:
                    return 0
                e = ticks_diff(self.end[i], now)
                if e < 0:
                    e = 0
                if d < 0 or e < d:
                    d = e
        return d

    def _send_ack(self, i, iface, now):
        # <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, TSopt if the connection had it
        t = self.t
        o = i * _REC
        a = t[o + _ALEN]
        off = iface.tx_begin(t, o + _RADDR, a, t, o + _LADDR, now)
        if off < 0:
            self.drops += 1             # no neighbor: the peer sends its FIN again
            return False
        buf = iface.tx_buf
        hlen = 32 if t[o + _FLAGS] & _TS_OK else 20
        wire.put_header(buf, off, _get16(t, o + _LPORT), _get16(t, o + _RPORT), _ACK, hlen,
                        _get16(t, o + _WIN))
        copy(buf, off + 4, t, o + _SND, 4)
        copy(buf, off + 8, t, o + _RCV, 4)
        if hlen > 20:
            p = wire.put_ts_head(buf, off + 20, False)
            d = ticks_diff(now, self.ts_at[i])
            if d < 0:
                d = 0
            seq_put(buf, p, _get16(t, o + _TSV), _get16(t, o + _TSV + 2), d)
            copy(buf, p + 4, t, o + _TSR, 4)
        iface.tx_finish(_PROTO, hlen)
        self.acks += 1
        return True
