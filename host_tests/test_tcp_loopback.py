# runtimes: cpython unix wasm
# timeout: 900
# TCP end to end: two Interfaces on a Loopback pair (optionally through
# FaultInjectors at 10% drop + 2% corruption + reordering), bulk data both
# ways at once, byte-exact (SHA-256 compared), with ISNs just below 2**32 so
# the sequence numbers wrap. Then a 1 MB transfer under heap_lock after a
# warm-up: the per-segment path allocates nothing (unix, and 32-bit wasm).
#
# The fake clock jumps over idle time to the next timer (poll_delay), so a
# lossy transfer costs CPU time for the work done, not for waiting.
import hashlib
import time
from netpair import NetPair, IP_B
from support import heap_locked, runtime
from smolnet.fast import equal
from smolnet.socket.tcp import TcpSocket
from smolnet.socket.tcp_listen import TcpListener
import smolnet.socket.tcp as tcp

MB = 1000000
BIG = 2 * MB if runtime == "wasm" else 10 * MB
LOSSY = MB // 2 if runtime == "wasm" else 10 * MB
ISS_A = 0xFFFFFF00          # wraps after 256 bytes
ISS_B = 0xFFFFF000
FAULTS = dict(drop_chance=10, corrupt_chance=2, reorder_chance=5)
_BLOCK = 4096


def _pattern():
    b = bytearray(_BLOCK)
    for i in range(_BLOCK):
        b[i] = (i * 7 + (i >> 8) + (i >> 11)) & 0xFF
    return bytes(b)


PATTERN = _pattern()


def _expected_digest(n):
    h = hashlib.sha256()
    while n >= _BLOCK:
        h.update(PATTERN)
        n -= _BLOCK
    if n:
        h.update(PATTERN[:n])
    return h.digest()


class Pump:
    """Both sockets send n bytes of the pattern and read what arrives;
    run() allocates nothing unless hashing is on."""

    def __init__(self, p, a, b, n, hashing):
        self.p = p
        self.a = a
        self.b = b
        self.n = n
        self.sa = 0
        self.sb = 0
        self.ra = 0
        self.rb = 0
        self.bad = 0
        self.steps = 0
        self.buf = bytearray(_BLOCK)
        self.mv = memoryview(self.buf)
        self.ha = hashlib.sha256() if hashing else None
        self.hb = hashlib.sha256() if hashing else None

    def _push(self, s, sent):
        if sent >= self.n or not s.may_send():
            return sent
        o = sent % _BLOCK
        k = self.n - sent
        if k > _BLOCK - o:
            k = _BLOCK - o
        return sent + s.send(PATTERN, o, k)

    def _pull(self, s, got, h):
        while True:
            o = got % _BLOCK
            k = s.recv_into(self.buf, 0, _BLOCK - o)
            if k <= 0:
                return got
            if not equal(self.buf, 0, PATTERN, o, k):
                self.bad += 1
            if h is not None:
                h.update(self.mv[:k])
            got += k

    def done(self):
        return self.ra >= self.n and self.rb >= self.n

    def run(self, max_steps):
        p = self.p
        ia = p.a
        ib = p.b
        clock = p.clock
        steps = 0
        while steps < max_steps and not (self.ra >= self.n and self.rb >= self.n):
            self.sa = self._push(self.a, self.sa)
            self.sb = self._push(self.b, self.sb)
            t = clock.t
            da = ia.poll(t)
            db = ib.poll(t)
            self.rb = self._pull(self.b, self.rb, self.hb)
            self.ra = self._pull(self.a, self.ra, self.ha)
            adv = 1
            if not da and not db:
                # nothing moved: jump to the earliest timer
                d = ia.poll_delay(t)
                e = ib.poll_delay(t)
                if e >= 0 and (d < 0 or e < d):
                    d = e
                if d > 1:
                    adv = d
            clock.t = time.ticks_add(t, adv)
            steps += 1
        self.steps += steps


def _pair(faults, rx=32768, tx=32768, **opts):
    fa = None
    fb = None
    if faults:
        fa = dict(FAULTS)
        fa["seed"] = 11
        fb = dict(FAULTS)
        fb["seed"] = 23
    p = NetPair(fault_a=fa, fault_b=fb, slots=32)
    a = p.a.add_socket(TcpSocket(rx, tx, iss=ISS_A, **opts))
    b = p.b.add_socket(TcpSocket(rx, tx, iss=ISS_B, **opts))
    b.listen(5001)
    a.connect(IP_B, 5001, local_port=40001)
    return p, a, b


def _transfer(faults, n, max_steps, **opts):
    p, a, b = _pair(faults, **opts)
    pump = Pump(p, a, b, n, True)
    pump.run(max_steps)
    assert pump.done(), (pump.ra, pump.rb, a.state_name(), b.state_name())
    assert pump.bad == 0
    want = _expected_digest(n)
    assert pump.ha.digest() == want and pump.hb.digest() == want
    # a clean close: A first, B once it has seen A's FIN
    a.close()
    _settle(p, lambda: b.at_eof(), 20000)
    assert b.at_eof()
    b.close()
    _settle(p, lambda: b.state == tcp.CLOSED, 20000)
    assert b.state == tcp.CLOSED and b.error == 0
    assert a.state == tcp.TIME_WAIT
    return p, a, b, pump


def _settle(p, cond, max_steps):
    clock = p.clock
    for _ in range(max_steps):
        if cond():
            return
        t = clock.t
        if not p.a.poll(t) and not p.b.poll(t):
            d = p.a.poll_delay(t)
            e = p.b.poll_delay(t)
            if e >= 0 and (d < 0 or e < d):
                d = e
            clock.t = time.ticks_add(t, d if d > 1 else 1)
        else:
            clock.t = time.ticks_add(t, 1)


def test_bulk_both_ways_clean():
    p, a, b, pump = _transfer(False, BIG, 200000)
    assert a.retransmits == 0 and b.retransmits == 0
    assert p.a.stats.drops() == 0 and p.b.stats.drops() == 0
    assert a.sack_ok and a.ts_ok and a.ws_ok


def test_bulk_both_ways_through_faults():
    p, a, b, pump = _transfer(True, LOSSY, 2000000)
    assert a.retransmits > 0 and b.retransmits > 0
    fa = p.fa
    fb = p.fb
    assert fa.dropped > 0 and fa.corrupted > 0 and fa.reordered > 0
    assert fb.dropped > 0 and fb.corrupted > 0
    assert p.a.stats.drop_bad_checksum > 0 or p.b.stats.drop_bad_checksum > 0


def test_sequence_numbers_wrap():
    # both ISNs sit just below 2**32: 64 KB takes every stream through 0
    p, a, b = _pair(False)
    pump = Pump(p, a, b, 65536, False)
    pump.run(20000)
    assert pump.done() and pump.bad == 0
    # the send bases (ISS + offsets) have moved past 2**32 - 1 to small values
    assert a.snd_bhi == 0xFFFF and a.snd_blo == ISS_A & 0xFFFF   # base is still ISS
    assert (ISS_A + a.snd_una) & 0xFFFFFFFF < 0x10000            # SND.UNA wrapped


def test_cubic_through_faults():
    n = LOSSY // 4
    p, a, b, pump = _transfer(True, n, 2000000, cc="cubic")
    assert a.retransmits > 0


def test_small_buffers_no_options():
    p, a, b, pump = _transfer(False, 200000, 200000, timestamps=False, sack=False,
                              window_scale=False, rx=2048, tx=1024)
    assert not a.ts_ok and not a.sack_ok


def test_listener_serves_many_connections():
    p = NetPair(slots=32)
    srv = TcpListener(4, 2048, 2048)
    srv.listen(80)
    p.b.add_socket(srv)
    buf = bytearray(64)
    served = 0
    for k in range(12):
        c = p.a.add_socket(TcpSocket(2048, 2048))
        c.connect(IP_B, 80, local_port=41000 + k)
        c.send(b"GET /%d\n" % k)
        conn = None
        for _ in range(200):
            p.step()
            if conn is None:
                conn = srv.accept()
            if conn is not None and conn.recv_avail() >= 6:
                break
        assert conn is not None
        n = conn.recv_into(buf)
        assert bytes(buf[:n]) == b"GET /%d\n" % k
        conn.send(b"OK %d\n" % k)
        conn.close()
        for _ in range(200):
            p.step()
            if c.at_eof():
                break
        n = c.recv_into(buf)
        assert bytes(buf[:n]) == b"OK %d\n" % k
        c.close()
        for _ in range(100):
            p.step()
        assert conn.state == tcp.TIME_WAIT     # the server closed first
        assert c.state == tcp.CLOSED and c.error == 0
        p.a.remove_socket(c)
        p.b.remove_socket(conn)
        served += 1
    assert served == 12 and srv.accepted == 12 and srv.syn_dropped == 0


def test_bulk_1mb_without_allocation():
    p, a, b = _pair(False)
    warm = Pump(p, a, b, 200000, False)
    warm.run(50000)                  # handshake, ARP, first use of every path
    assert warm.done()
    pump = Pump(p, a, b, MB, False)
    pump.sa = pump.sb = pump.ra = pump.rb = 0
    heap_locked(_bound_run(pump))
    assert pump.done() and pump.bad == 0
    assert a.retransmits == 0


def _bound_run(pump):
    # a bound method made before the heap is locked (making it allocates)
    pump.limit = 100000
    return pump.run_limited


def _run_limited(self):
    self.run(self.limit)


Pump.run_limited = _run_limited


def test_lossy_transfer_without_allocation():
    # loss recovery (SACK, RACK, fast retransmit, RTO, quick ACKs)
    # allocates nothing either
    p, a, b = _pair(True)
    warm = Pump(p, a, b, 100000, False)
    warm.run(200000)
    assert warm.done()
    pump = Pump(p, a, b, 300000 if runtime != "wasm" else 150000, False)
    before = (a.recoveries + b.recoveries, a.timeouts + b.timeouts,
              a.rack.marked + b.rack.marked)
    heap_locked(_bound_run(pump))
    assert pump.done() and pump.bad == 0
    assert a.recoveries + b.recoveries > before[0]
    assert a.timeouts + b.timeouts > before[1]
    assert a.rack.marked + b.rack.marked > before[2]


def test_lossy_transfer_without_rack_allocates_nothing():
    # the board profile without the rack option (tcp_sack.NO_RACK): SACK
    # recovery by RFC 6675 alone, the RTO for the rest; exact data, no
    # allocation
    p, a, b = _pair(True, rack=False)
    warm = Pump(p, a, b, 100000, False)
    warm.run(200000)
    assert warm.done()
    pump = Pump(p, a, b, 300000 if runtime != "wasm" else 150000, False)
    before = (a.recoveries + b.recoveries, a.timeouts + b.timeouts)
    heap_locked(_bound_run(pump))
    assert pump.done() and pump.bad == 0
    assert a.recoveries + b.recoveries > before[0]
    assert a.timeouts + b.timeouts > before[1]
    assert a.rack.marked + b.rack.marked == 0
