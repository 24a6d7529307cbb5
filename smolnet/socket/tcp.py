# The TCP socket: RFC 9293's state machine over preallocated ring buffers.
#
# This file holds the socket's state, its user API and the Interface hooks
# (accepts/process/dispatch/poll_at). The rest is spread over modules that
# take the socket as `s` and write its fields; which module writes which
# (host_tests/test_tcp_map.py checks the lists against the code; a name
# ending in * stands for all that start so):
#
#   tcp.py        the socket, user API, Interface hooks; __init__ and
#                 _reset() set every field, the user calls these
#                   state error fin_queued rst_* local_* remote_* alen
#                   bound_addr iss_pending tw_keeper wnd_check due_at odd
#   tcp_conn.py   state changes a segment or a timer causes; with the user
#                 calls, the only writer of state
#                   state error estab_time iss_pending local_set snd_bhi
#                   snd_blo snd_una snd_nxt snd_max syn_unacked una_since
#                   ts_hi ts_lo ts_last tw_at rtx_on ack_now ack_pending
#                   rcv_nxt rcv_adv fin_rcvd fin_ooo sb rack rack_rec odd
#   tcp_rx.py     segment arrival (3.10.7): checks, SYN options, data, FIN
#                   rcv_* last_ack_sent fin_ooo* ack_* quickack
#                   alen remote_port local_set passive snd_mss snd_ws
#                   snd_wnd max_snd_wnd snd_wl1 snd_wl2 ws_ok sack_ok ts_ok
#                   ts_recent_* snd_una snd_nxt syn_unacked rtx_on tw_at
#                   rst_* ch_* challenge_acks drops rx_segments last_rx
#                   ka_probes odd wnd_n
#   tcp_ack.py    an acceptable ACK: RTT, congestion control, loss
#                 recovery, the peer's window, the retransmission timer
#                   snd_una snd_nxt snd_wnd max_snd_wnd snd_wl1 snd_wl2
#                   syn_unacked una_since rtt_on rtx_*
#                   tlp_out dupacks fast_rtx in_recovery recover recoveries
#                   high_rxt probing persist_backoff eff_mss seg_mss ts_hi
#                   ts_lo ts_last rack_timer odd
#   tcp_tx.py     what to send next, timers (RTO, persist, TLP, keepalive)
#                   snd_nxt snd_max fin_sent fin_seq seg_flags seg_n
#                   rtx_* rtt_*
#                   tlp_* tlps probe_due probing persist_backoff una_since
#                   last_tx dupacks fast_rtx in_recovery recover high_rxt
#                   retransmits timeouts hold ka_probes ack_now wnd_check due_at
#                   rst_pending rack_timer odd
#   tcp_emit.py   one segment into the Interface's frame: the one tcp_tx
#                 describes in seg_flags and seg_n (emit() adds seg_seq)
#                   rcv_adv rcv_mss mss_adv last_ack_sent ack_now
#                   ack_pending local_set hold* no_route seg_* drops
#                   tx_segments ts_hi ts_lo ts_last rc_gen rc_until odd wnd_*
#   tcp_sack_tx.py  SACK blocks we send, what the peer's blocks resend
#                   seg_n
#   tcp_seq.py    sequence numbers as offsets from a base (why and how);
#                 the rebases, which move the bases and (by name, shift())
#                 the SND_OFFSETS / RCV_OFFSETS listed there
#                   snd_bhi snd_blo rcv_bhi rcv_blo
#   tcp_isn.py    RFC 6528 ISNs and timestamp offsets, ephemeral ports
#   tcp_timers.py RTO estimation (RFC 6298): s.rtte
#   tcp_cc.py     congestion control (NewReno): s.cc
#   tcp_cubic.py  CUBIC (RFC 9438), loaded by a socket with cc="cubic"
#   tcp_sack.py   the SACK scoreboard (RFC 6675): s.sb (None until SACK)
#   tcp_rack.py   RACK loss detection (RFC 8985): s.rack (None, True or
#                 False until SACK; tcp_sack.NO_RACK in a build without it
#                 or with rack=False)
#   tcp_listen.py TcpListener, the accept queue
#                   child passive tw_keeper
#   tcp_cookie.py SYN cookies (RFC 4987) for a full accept queue; a good
#                 cookie opens a connection (the fields a SYN would set)
#                   alen remote_port local_set passive iss_pending rcv_*
#                   last_ack_sent snd_* syn_unacked mss_adv ws_ok sack_ok
#                   ts_* last_rx wnd_n
#   tcp_timewait.py compact TIME-WAIT records a listener keeps (tcp_tx
#                 hands a socket over, then closes it)
#
# Allocation: everything is made in __init__ from the sizes given, but for
# the SACK scoreboard and RACK's records, made by the first listen() or
# connect() offering SACK (tcp_conn.sack_state). connect(), listen(), a SYN
# negotiating SACK and the ISN computation (once per connection) may
# allocate;
# send/recv_into/peek_into/find and the Interface hooks do not.
#
# API (all non-blocking; addresses are 4/16-byte bytes or "a.b.c.d" strings)
#   s = TcpSocket(rx_size, tx_size, **options)      options: see __init__
#   s.connect(addr, port, local_port=0, local_addr=None)
#   s.listen(port, addr=None)                       one connection; TcpListener
#                                                   (tcp_listen.py) for a queue
#   s.send(buf, off=0, n=-1) -> bytes queued (0: buffer full)
#   s.recv_into(buf, off=0, n=-1) -> bytes read (-1: nothing now, as the
#                                   datagram sockets; at_eof() tells the end
#                                   of the stream)
#   s.peek_into(buf, off=0, n=-1, at=0), s.find(byte, limit=-1)
#   s.close()   half-close (FIN after the queued data; reading goes on)
#   s.abort()   RST now
#   s.state (CLOSED..TIME_WAIT below), s.state_name(), s.error (errno or 0),
#   is_open/is_active/is_connected, may_send/can_send, may_recv/can_recv,
#   at_eof, recv_avail, send_free, send_pending, rto_ms, cwnd
#   Errors: OSError(EALREADY/EISCONN/EINVAL) from connect/listen misuse,
#   OSError(ENOTCONN) sending when not connected or after close(), and once
#   a connection is gone OSError(s.error): ECONNREFUSED (RST to our SYN),
#   ECONNRESET (RST), ETIMEDOUT (user timeout, keepalive), EHOSTUNREACH (no
#   route for the SYN, or the neighbor never answered). off/n outside the
#   buffer: OSError(EINVAL); a read-only buffer to fill: TypeError (span.py).
from micropython import const
from ..fast import equal, copy
from ..wire import tcp as wire
from ..storage.ring import RingBuffer
from ..storage.assembler import Assembler
# (names, not `from . import x`: the package's __getattr__ would intercept)
from .span import writable, address
from .tcp_rx import process as _process, time_wait_reopen as _tw_reopen
from .tcp_tx import dispatch as _dispatch, poll_at as _poll_at
from .tcp_timers import RttEstimator
from .tcp_seq import base_hi, base_lo
from .tcp_isn import ports as _ports
from .tcp_cc import NewReno
from .tcp_conn import sack_state as _sack_state, need_rack as _need_rack

# copies of smolnet/socket/errno.py's constants
_EALREADY = const(114)
_EINVAL = const(22)
_EISCONN = const(106)
_ENOTCONN = const(107)

# copies of smolnet/wire/tcp.py's constants
_ACK_FLAG = const(16)
_WS_MAX = const(14)

PROTO = const(6)

CLOSED = const(0)
LISTEN = const(1)
SYN_SENT = const(2)
SYN_RECEIVED = const(3)
ESTABLISHED = const(4)
FIN_WAIT_1 = const(5)
FIN_WAIT_2 = const(6)
CLOSE_WAIT = const(7)
CLOSING = const(8)
LAST_ACK = const(9)
TIME_WAIT = const(10)

STATE_NAMES = ("CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED",
               "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK",
               "TIME-WAIT")




# the options of the segment being processed: parsed at the start of every
# process() (tcp_rx.py) and read only until it returns, so one parse area
# serves every socket (a TcpListener and a TimeWaitTable keep their own)
_OPT = wire.Options()


class TcpSocket:
    proto = PROTO

    def __init__(self, rx_size=4096, tx_size=4096, *, max_gaps=4, cc="newreno",
                 nodelay=False, ack_delay_ms=40, timestamps=True, sack=True,
                 window_scale=True, rto_init_ms=1000, rto_min_ms=200,
                 rto_max_ms=60000, user_timeout_ms=120000, time_wait_ms=60000,
                 keepalive_ms=0, keepalive_interval_ms=75000, keepalive_count=9,
                 challenge_ack_limit=10, sack_blocks=4, tlp=True, rack=None,
                 iss=None, ts_offset=None):
        if rx_size < 1 or tx_size < 1 or rx_size > 0x4000000 or tx_size > 0x4000000:
            raise ValueError("buffer size")
        # proto in the instance too: the Interface reads it for every frame
        # (find_socket), and the class's is found only after a miss in the
        # attribute table, which probes it up to a free slot
        self.proto = PROTO
        self.rx = RingBuffer(rx_size)
        self.tx = RingBuffer(tx_size)
        self.asm = Assembler(max_gaps)
        # the SACK scoreboard and RACK's records: made (tcp_conn.sack_state)
        # by the first listen()/connect() offering SACK (a TcpListener's
        # slots: when made; or a SYN that negotiates it, if `sack` was
        # turned on since), kept for later
        # connections; until then neither module is imported (board RAM).
        # s.sack_ok implies both exist. (At listen/connect rather than at
        # the SYN: allocating mid-handshake left the heap so that the
        # per-segment call frames took 18% longer to find room on the
        # Cortex-M3, tools/bench/bench_firmware.py.)
        # rack: RACK-TLP's loss detection (RFC 8985) with SACK; None: if the
        # build has it (firmware/manifest.py's rack option), False: RFC 6675
        # IsLost alone (tcp_sack.NO_RACK takes s.rack's place), True: a
        # ValueError on a build without it. Until SACK state exists s.rack
        # holds this choice.
        self.sack_blocks = sack_blocks
        self.sb = None
        if rack:
            _need_rack()
        self.rack = rack
        self.rtte = RttEstimator(rto_init_ms, rto_min_ms, rto_max_ms)
        self.opt = _OPT
        self.cc_name = cc
        self.cc = congestion_control(cc, 536)
        # the per-connection fields next, ahead of the settings and counters:
        # set in this order, the names every segment reads take fewer
        # probes to find in the attribute table (the note at the end)
        self._reset()
        # settings (plain attributes: change them any time; an Interface
        # looks at an idle socket again only at its next event or timer, so
        # after turning one on there, e.g. keepalive_ms, set due_at = -2)
        self.nodelay = nodelay                  # TCP_NODELAY: no Nagle (RFC 896)
        self.ack_delay_ms = ack_delay_ms        # 0: ACK every segment at once
        self.timestamps = timestamps            # offer RFC 7323 timestamps
        self.sack = sack                        # offer RFC 2018 SACK
        self.window_scale = window_scale        # offer RFC 7323 window scaling
        self.tlp = tlp                          # tail loss probes (RFC 8985 7)
        self.user_timeout_ms = user_timeout_ms  # RFC 9293 3.8.3 / RFC 5482
        self.time_wait_ms = time_wait_ms        # 2*MSL
        self.keepalive_ms = keepalive_ms        # idle time before probing; 0 off
        self.keepalive_interval_ms = keepalive_interval_ms
        self.keepalive_count = keepalive_count
        self.challenge_ack_limit = challenge_ack_limit  # per second (RFC 5961 7)
        self.fixed_iss = iss                    # tests: fixed ISS instead of RFC 6528
        self.fixed_ts_offset = ts_offset        # tests: fixed timestamp offset
        # identity
        self.local_addr = bytearray(16)
        self.remote_addr = bytearray(16)
        # the link header (14 bytes) and source address (4) tx_begin chose
        # for remote_addr (IPv4): tcp_emit._route
        self.rc = bytearray(18)
        self.alen = 4
        self.local_port = 0
        self.remote_port = 0
        self.local_set = False                  # local address known/bound
        self.bound_addr = False                 # listen/connect named a local address
        self.child = False                      # owned by a TcpListener
        self.tw_keeper = None                   # TimeWaitTable that takes over TIME-WAIT
        self.estab_time = 0                     # when it became ESTABLISHED (accept order)
        # counters
        self.rx_segments = 0
        self.tx_segments = 0
        self.retransmits = 0               # segments sent again
        self.timeouts = 0                  # retransmission timer expiries
        self.recoveries = 0                # fast retransmit / recovery episodes
        self.tlps = 0                      # tail loss probes sent
        self.drops = 0
        self.challenge_acks = 0
        self._isn = bytearray(8)
        # the 4-tuple as the frames carry it (accepts()): source address,
        # destination address, source port, destination port; key_n bytes
        # of it, 0 until it is known
        self.key = bytearray(36)
        # our receive window shift, from the buffer size (RFC 7323 2.2)
        s = 0
        while (rx_size >> s) > 0xFFFF and s < _WS_MAX:
            s += 1
        self.rcv_ws_want = s
        self.error = 0
        # MicroPython grows an object's attribute table only once it is full
        # (then by about a third), and a lookup that misses the table -- a
        # method call on the socket -- probes it up to a free slot. The names
        # above are past the 127-slot table size (about 140 of them), so the
        # table already moved to 167; this one keeps a free slot even if
        # names above go (at 127 names, none would be free), which takes
        # some 3% off the instructions per segment (callgrind, Loopback).
        # host_tests/test_tcp_attrs.py checks that the room stays.
        self._room = 0

    # --- state reset ------------------------------------------------------
    def _reset(self):
        """Back to a blank CLOSED socket (buffers emptied). Keeps settings,
        the bound port/address and error."""
        self.state = CLOSED
        self.odd = True     # (tcp_tx.odd)
        self.key_n = 0
        # tcp_emit._route's note of tx_begin's answer for the peer: none
        # (a new connection, or a new peer: every remote_addr write
        # follows a _reset())
        self.rc_gen = -1
        self.rc_until = 0
        self.rx.clear()
        self.tx.clear()
        self.asm.clear()
        if self.sb is not None:
            self.sb.clear()
            self.rack.clear()
        self.rtte.reset()
        self.cc.reset(536)
        self.snd_bhi = 0
        self.snd_blo = 0
        self.rcv_bhi = 0
        self.rcv_blo = 0
        self.iss_pending = False
        self.snd_una = 0
        self.snd_nxt = 0
        self.snd_max = 0
        self.syn_unacked = 1
        self.snd_wnd = 0
        self.snd_wl1 = 0
        self.snd_wl2 = 0
        self.max_snd_wnd = 0
        self.snd_ws = 0
        self.rcv_ws = 0
        self.ws_ok = False
        self.snd_mss = 536
        self.seg_mss = 536
        self.eff_mss = 536
        self.fin_sent = False
        self.fin_seq = 0
        self.high_rxt = 0
        # the segment tcp_tx asks tcp_emit for: flags, data bytes, first
        # sequence number (what went out once emit() returns)
        self.seg_flags = 0
        self.seg_n = 0
        self.seg_seq = 0
        self.passive = False
        self.mss_adv = 536
        self.rcv_mss = 536
        self.fin_queued = False
        self.rcv_nxt = 0
        self.rcv_adv = 0
        self.wnd_n = -1                     # tcp_emit.rcv_wnd_field's kept answer: none
        self.wnd_l = 0
        self.wnd_f = 0
        self.last_ack_sent = 0
        self.fin_rcvd = False
        self.fin_ooo = False
        self.fin_ooo_at = 0
        self.ts_ok = False
        self.ts_hi = 0
        self.ts_lo = 0
        self.ts_last = 0
        self.ts_recent_hi = 0
        self.ts_recent_lo = 0
        self.sack_ok = False
        self.ack_now = False
        self.ack_pending = False
        self.ack_at = 0
        self.wnd_check = False
        self.rtx_on = False
        self.rtx_persist = False
        self.rtx_tlp = False                # the timer is a loss probe timeout
        self.tlp_due = False
        self.tlp_out = False                # a probe is out, no other until an ACK
        self.rtx_at = 0
        self.rack_timer = False             # RACK's reordering timer may be on
        self.rack_rec = False               # s.rack keeps records (tcp_conn.establish)
        self.probe_due = False
        self.probing = False
        self.persist_backoff = 0
        self.una_since = 0
        self.last_tx = 0
        self.rtt_on = False
        self.rtx_marked = False             # data sent again is outstanding
        self.rtx_mark = 0                   # ... up to here
        self.rtx_ts_hi = 0                  # TSval of the last retransmission
        self.rtx_ts_lo = 0
        self.quickack = 0
        self.rtt_seq = 0
        self.rtt_t0 = 0
        self.last_rx = 0
        self.ka_probes = 0
        self.tw_at = 0
        self.rst_pending = False
        self.rst_hi = 0
        self.rst_lo = 0
        self.ch_start = 0
        self.ch_count = 0
        self.dupacks = 0
        self.in_recovery = False
        self.recover = 0
        self.fast_rtx = False
        self.hold = False
        self.hold_until = 0
        self.holding = False                # waiting for a neighbor since hold_start
        self.no_route = False               # the last segment found no route
        self.hold_start = 0

    # --- user API: opening ------------------------------------------------
    def _check_closed(self):
        st = self.state
        if st == CLOSED:
            return
        if st == SYN_SENT:
            raise OSError(_EALREADY)
        if st == LISTEN:
            raise OSError(_EINVAL)
        raise OSError(_EISCONN)

    def _set_local(self, addr):
        if addr is None:
            self.local_set = False
            self.bound_addr = False
            return
        a = _parse(addr)
        copy(self.local_addr, 0, a, 0, len(a))
        self.alen = len(a)
        self.local_set = True
        self.bound_addr = True

    def listen(self, port, addr=None):
        """Wait for one connection on port (and local address addr, or any).
        For several pending connections use TcpListener."""
        if not 0 < port < 65536:
            raise OSError(_EINVAL)
        self._check_closed()
        self._reset()
        self.error = 0
        self.tw_keeper = None
        self._set_local(addr)
        self.local_port = port
        if self.sack:
            _sack_state(self)
        self.state = LISTEN
        self.odd = True     # (tcp_tx.odd)
        self.due_at = -2     # what dispatch() has to do changed (interface.py)

    def connect(self, addr, port, local_port=0, local_addr=None):
        """Start an active open to addr:port (non-blocking: the SYN goes out
        at the next poll; watch state / error)."""
        if not 0 < port < 65536:
            raise OSError(_EINVAL)
        self._check_closed()
        a = _parse(addr)
        self._reset()
        self.error = 0
        self.tw_keeper = None
        self._set_local(local_addr)
        copy(self.remote_addr, 0, a, 0, len(a))
        self.alen = len(a)
        self.remote_port = port
        self.local_port = local_port if local_port else _ports.get()
        self.iss_pending = True
        if self.sack:
            _sack_state(self)
        self.state = SYN_SENT
        self.odd = True     # (tcp_tx.odd)
        self.due_at = -2     # the Interface's next poll sends the SYN (interface.py)

    # --- user API: data ---------------------------------------------------
    def send(self, buf, off=0, n=-1):
        """Queue up to n bytes of buf[off:] (all of it if n is -1); returns
        how many fit (0 when the buffer is full). Data may be queued while the
        handshake is still running. off/n outside buf: OSError(EINVAL)."""
        st = self.state
        if st != ESTABLISHED and st != CLOSE_WAIT and st != SYN_SENT and st != SYN_RECEIVED:
            raise OSError(self.error if self.error else _ENOTCONN)
        if self.fin_queued:
            raise OSError(_ENOTCONN)
        self.due_at = -2     # the Interface's next poll dispatches it (interface.py)
        # span()'s check (span.py) written out: a call fewer on every send
        k = len(buf) - off
        if off < 0 or k < 0 or n < -1 or n > k:
            raise OSError(_EINVAL)
        if n == -1:
            n = k
        return self.tx.write_from(buf, off, n)

    def recv_into(self, buf, off=0, n=-1):
        """Move up to n received bytes (all that fit if n is -1) into
        buf[off:]; returns the count, or -1 if nothing is waiting (check
        may_recv() to tell end of stream): the signature and the -1 of
        DatagramSocket.recv_into. Raises OSError(error) once the connection
        was reset or timed out and no data is left. off/n past buf:
        OSError(EINVAL); read-only buf: TypeError."""
        # span.writable()'s check written out: a call fewer on every read
        k = len(buf) - off
        if off < 0 or k < 0 or n < -1 or n > k:
            raise OSError(_EINVAL)
        if n == -1:
            n = k
        if n:
            buf[off] = buf[off]      # read-only buf: TypeError
        k = self.rx.read_into(buf, off, n)
        if k:
            self.wnd_check = True
            self.due_at = -2     # a window update may be due (interface.py)
            return k
        if self.error and self.state == CLOSED:
            raise OSError(self.error)
        if self.state == CLOSED and self.local_port == 0:
            raise OSError(_ENOTCONN)
        return 0 if self.rx.length else -1     # n == 0 with data waiting: 0

    def peek_into(self, buf, off=0, n=-1, at=0):
        """Copy up to n received bytes starting at `at` without consuming."""
        n = writable(buf, off, n)
        if at < 0:
            raise OSError(_EINVAL)
        return self.rx.peek_into(buf, off, at, n)

    def find(self, byte, limit=-1):
        """Index of the first received byte equal to `byte` (within limit
        bytes), or -1: for readline without copying."""
        if limit < 0:
            limit = self.rx.used()
        return self.rx.find(byte, limit)

    def recv_avail(self):
        return self.rx.used()

    def send_free(self):
        return self.tx.free()

    def send_pending(self):
        """Bytes queued and not yet acknowledged."""
        return self.tx.used()

    # --- user API: closing ------------------------------------------------
    def close(self):
        """Half-close: a FIN follows the queued data; receiving continues
        (RFC 9293 3.10.4)."""
        self.due_at = -2     # the Interface's next poll dispatches it (interface.py)
        st = self.state
        if st == LISTEN or st == SYN_SENT:
            self._reset()
            return
        if st == SYN_RECEIVED:
            self.fin_queued = True   # FIN-WAIT-1 once the handshake completes
        elif st == ESTABLISHED:
            self.fin_queued = True
            self.state = FIN_WAIT_1
        elif st == CLOSE_WAIT:
            self.fin_queued = True
            self.state = LAST_ACK

    def abort(self):
        """Drop the connection at once, telling the peer with a RST
        (RFC 9293 3.10.5)."""
        st = self.state
        rst = st == SYN_RECEIVED or st == ESTABLISHED or st == FIN_WAIT_1 or \
            st == FIN_WAIT_2 or st == CLOSE_WAIT
        if rst:
            # <SEQ=SND.NXT><CTL=RST>, sent by the next dispatch()
            hi = base_hi(self.snd_bhi, self.snd_blo, self.snd_nxt)
            lo = base_lo(self.snd_blo, self.snd_nxt)
        self._reset()
        self.error = 0
        self.due_at = -2
        if rst:
            self.rst_pending = True
            self.odd = True     # (tcp_tx.odd)
            self.rst_hi = hi
            self.rst_lo = lo

    # --- user API: queries ------------------------------------------------
    def state_name(self):
        return STATE_NAMES[self.state]

    def is_open(self):
        return self.state != CLOSED and self.state != TIME_WAIT

    def is_active(self):
        st = self.state
        return st != CLOSED and st != LISTEN and st != TIME_WAIT

    def is_connected(self):
        st = self.state
        return st >= ESTABLISHED and st != TIME_WAIT

    def may_send(self):
        st = self.state
        return (st == ESTABLISHED or st == CLOSE_WAIT) and not self.fin_queued

    def can_send(self):
        return self.may_send() and self.tx.free() > 0

    def may_recv(self):
        """More data may still come (or is waiting)."""
        if self.rx.used():
            return True
        st = self.state
        return st == ESTABLISHED or st == FIN_WAIT_1 or st == FIN_WAIT_2 or \
            st == SYN_SENT or st == SYN_RECEIVED

    def can_recv(self):
        return self.rx.used() > 0

    def at_eof(self):
        """The peer closed its side and every byte has been read."""
        return self.fin_rcvd and self.rx.used() == 0

    def rto_ms(self):
        return self.rtte.rto

    def cwnd(self):
        return self.cc.cwnd

    # --- Interface hooks ----------------------------------------------------
    def accepts(self, iface, l4_off):
        st = self.state
        if st == CLOSED:
            return 0
        b = iface.rx_buf
        if self.key_n and iface.rx_alen == self.alen and \
                l4_off - iface.rx_src_off == self.key_n - 4:
            # a connection's 4-tuple is the bytes from the source address to
            # the destination port when no IP option or extension header
            # parts them: one compare with the copy taken below
            if not equal(self.key, 0, b, iface.rx_src_off, self.key_n):
                return 0
            if st == TIME_WAIT and _tw_reopen(self, b, l4_off):
                self._reset()   # a new incarnation: let the listener take the SYN
                return 0
            return 2
        if ((b[l4_off + 2] << 8) | b[l4_off + 3]) != self.local_port:
            return 0
        if iface.rx_alen != self.alen and (self.local_set or st != LISTEN):
            return 0
        if self.local_set and not equal(self.local_addr, 0, b, iface.rx_dst_off, iface.rx_alen):
            return 0
        if st == LISTEN:
            # an ACK to a listener gets a RST from the Interface (3.10.7.2)
            return 0 if b[l4_off + 13] & _ACK_FLAG else 1
        if ((b[l4_off] << 8) | b[l4_off + 1]) != self.remote_port:
            return 0
        if not equal(self.remote_addr, 0, b, iface.rx_src_off, self.alen):
            return 0
        if st == TIME_WAIT and _tw_reopen(self, b, l4_off):
            self._reset()   # a new incarnation: let the listener take the SYN
            return 0
        if self.local_set and l4_off - iface.rx_src_off == 2 * self.alen:
            _keep_key(self, iface)
        return 2

    # process(iface, l4_off, l4_len, now), dispatch(iface, now) -> bool and
    # poll_at(now) -> ms are tcp_rx's and tcp_tx's functions themselves,
    # called as methods (the socket is their `s`): a method that only passed
    # the call on would cost a Python call per segment
    process = _process
    dispatch = _dispatch
    poll_at = _poll_at

    def __repr__(self):
        return "<TcpSocket %s %d->%d>" % (STATE_NAMES[self.state], self.local_port,
                                           self.remote_port)


def _keep_key(s, iface):
    # the 4-tuple of the segment accepts() just matched lies in one run of
    # the frame: the next segments are compared with a copy of it (once a
    # connection; _reset() forgets it)
    n = 2 * s.alen + 4
    copy(s.key, 0, iface.rx_buf, iface.rx_src_off, n)
    s.key_n = n


def congestion_control(kind, mss):
    """A congestion controller by name: "newreno" (the default) or "cubic".
    CUBIC's module is imported only here, by a socket that asks for it."""
    if kind == "cubic":
        return _cubic(mss)
    if kind == "newreno" or kind == "reno":
        return NewReno(mss)
    raise ValueError("unknown congestion control")


def _cubic(mss):
    # apart from congestion_control: the handler would take its frame over
    # 11 words (tools/frame_sizes.py)
    try:
        from .tcp_cubic import Cubic
    except ImportError:
        raise _no_cubic()      # the board profile leaves CUBIC out (firmware/manifest.py)
    return Cubic(mss)


def _no_cubic():
    # (apart from _cubic: the call would take its frame past 11 words)
    from .. import left_out
    return ValueError(left_out("cc='cubic': ", "socket.tcp_cubic", "cubic"))


def _parse(addr):
    if isinstance(addr, str):
        from ..wire import ipaddr
        return ipaddr.parse(addr)
    address(addr, 0, -1)          # 4 or 16 bytes, else OSError(EINVAL)
    return addr
