# End-to-end machinery for board drivers: a smolnet Interface on each end of
# a chip model's wire (the other end a WireDevice, a PeerDevice, QEMU's
# cable or another modelled chip), a fake clock, and ARP / ping / UDP
# exchanges checked byte for byte (full_check, two_interfaces); and a TCP
# bulk transfer both ways at once, hash-compared (TcpPump, tcp_transfer,
# tcp_end_to_end below), optionally through a FaultInjector, in poll mode
# or woken by the driver's interrupt flag, or with the heap locked. The
# scenarios the per-chip tests share are host_tests/board_scenario.py.
import hashlib
import time
from smolnet.iface.interface import Interface
from smolnet.config import Config
from smolnet.socket.udp import UdpSocket
from smolnet.socket.icmp import IcmpSocket
from smolnet.socket.tcp import TcpSocket, CLOSED, TIME_WAIT
from smolnet.fast import equal
from smolnet.phy.fault import FaultInjector
from smolnet.wire import ipaddr

IP_A = ipaddr.parse4("192.0.2.1")
IP_B = ipaddr.parse4("192.0.2.2")


class Pair:
    """Interfaces a (192.0.2.1) and b (192.0.2.2) over two devices
    (config_b: b's Config, e.g. a bigger tx_burst to flood a's chip)."""

    def __init__(self, dev_a, dev_b, config_b=None):
        self.t = 0
        self.a = Interface(dev_a, Config(strict=True))
        self.a.add_ip("192.0.2.1/24")
        self.b = Interface(dev_b, config_b or Config(strict=True))
        self.b.add_ip("192.0.2.2/24")

    def run(self, steps):
        # each poll also moves the chip models' clocks (SPI transactions)
        for _ in range(steps):
            self.a.poll(self.t)
            self.b.poll(self.t)
            self.t += 1


def pattern(n, seed):
    return bytes((i * 31 + seed) & 0xFF for i in range(n))


def ping(pair, src, dst_ip, sizes, ident=0x4242):
    """Echo requests from interface src to dst_ip; every reply byte-exact."""
    s = src.add_socket(IcmpSocket(rx_bytes=3000, tx_bytes=3000))
    s.bind(ident)
    buf = bytearray(1500)
    for seq, size in enumerate(sizes):
        data = pattern(size, seq)
        s.send_echo(dst_ip, seq, data, size)
        n = -1
        for _ in range(40):
            pair.run(1)
            n = s.recv_into(buf)
            if n >= 0:
                break
        assert n == 8 + size, (size, n)
        assert buf[0] == 0 and buf[1] == 0                  # echo reply
        assert (buf[4] << 8 | buf[5]) == ident
        assert (buf[6] << 8 | buf[7]) == seq
        assert bytes(buf[8:n]) == data
        assert bytes(s.peer_addr[:4]) == dst_ip
    src.remove_socket(s)


def udp_exchange(pair, sizes, rounds=3):
    """Datagrams a:1000 -> b:6969 and echoed back; all byte-exact."""
    ua = pair.a.add_socket(UdpSocket(rx_slots=8, rx_bytes=6000, tx_slots=8, tx_bytes=6000))
    ua.bind(1000)
    ub = pair.b.add_socket(UdpSocket(rx_slots=8, rx_bytes=6000, tx_slots=8, tx_bytes=6000))
    ub.bind(6969)
    buf = bytearray(1500)
    for r in range(rounds):
        for size in sizes:
            data = pattern(size, r + size)
            ua.send_to(data, size, IP_B, 6969)
            n = -1
            for _ in range(40):
                pair.run(1)
                n = ub.recv_into(buf)
                if n >= 0:
                    break
            assert n == size and bytes(buf[:n]) == data, (size, n)
            assert bytes(ub.peer_addr[:4]) == IP_A and ub.peer_port == 1000
            ub.send_to(buf, n, ub.peer_addr, ub.peer_port)
            n = -1
            for _ in range(40):
                pair.run(1)
                n = ua.recv_into(buf)
                if n >= 0:
                    break
            assert n == size and bytes(buf[:n]) == data, (size, n)
    pair.a.remove_socket(ua)
    pair.b.remove_socket(ub)


def full_check(pair):
    """ARP both ways, ping both ways, UDP both ways; no drops."""
    ping(pair, pair.a, IP_B, (0, 56, 1472))
    assert pair.a.stats.arp_requests == 1 and pair.b.stats.arp_replies == 1
    ping(pair, pair.b, IP_A, (56, 1000, 1472, 1))
    assert pair.b.stats.arp_requests == 0            # learned from a's request
    udp_exchange(pair, (1, 18, 100, 512, 1472))
    assert pair.a.stats.drops() == 0, pair.a.stats
    assert pair.b.stats.drops() == 0, pair.b.stats


def two_interfaces(nic, peer, rounds=8, pump=None, slow=1):
    """Interface A over the driver, interface B over the far end of the
    model's cable: ARP, ping both ways, UDP both ways byte-exact (the
    memory-mapped chips' and QEMU's check; the SPI chips' is full_check).
    pump() runs between polls when the cable has latency (QEMU); slow
    multiplies the polls allowed per exchange. Returns (a, b)."""
    a = Interface(nic, Config(strict=True))
    a.add_ip("192.0.2.1/24")
    b = Interface(peer, Config(strict=True))
    b.add_ip("192.0.2.2/24")
    clock = [0]

    def run(steps):
        for _ in range(steps * slow):
            if pump is not None:
                pump()
            a.poll(clock[0])
            b.poll(clock[0])
            clock[0] += 1

    buf = bytearray(1600)
    sa = a.add_socket(IcmpSocket())
    sa.bind(0x1234)
    sb = b.add_socket(IcmpSocket())
    sb.bind(0x4321)
    for seq in range(rounds):
        payload = bytes((seq * 7 + i) & 0xFF for i in range(56 + seq))
        sa.send_echo(IP_B, seq, payload, len(payload))
        run(6)
        n = sa.recv_into(buf)
        assert n == 8 + len(payload), n
        assert buf[0] == 0 and bytes(buf[8:n]) == payload
        sb.send_echo(IP_A, seq, payload, len(payload))
        run(6)
        n = sb.recv_into(buf)
        assert n == 8 + len(payload) and bytes(buf[8:n]) == payload
    assert a.stats.arp_requests == 1 and b.stats.arp_replies == 1
    ua = a.add_socket(UdpSocket(rx_bytes=3000, tx_bytes=3000))
    ua.bind(1000)
    ub = b.add_socket(UdpSocket(rx_bytes=3000, tx_bytes=3000))
    ub.bind(6969)
    for size in (0, 1, 17, 18, 19, 20, 100, 1000, 1471, 1472):
        data = bytes((i * 31 + size) & 0xFF for i in range(size))
        ua.send_to(data, size, IP_B, 6969)
        run(3)
        n = ub.recv_into(buf)
        assert n == size and bytes(buf[:n]) == data
        assert bytes(ub.peer_addr[:4]) == IP_A and ub.peer_port == 1000
        ub.send_to(data, size, IP_A, 1000)
        run(3)
        n = ua.recv_into(buf)
        assert n == size and bytes(buf[:n]) == data
    assert a.stats.drops() == 0, a.stats
    assert b.stats.drops() == 0, b.stats
    return a, b


class _RoundTrip:
    # a bound method, not a closure: calling a closure over more than a few
    # variables allocates its argument array on MicroPython
    def __init__(self, pair, ua, ub, data, size):
        self.pair = pair
        self.ua = ua
        self.ub = ub
        self.data = data
        self.size = size
        self.buf = bytearray(1500)
        self.got_b = 0
        self.got_a = 0

    def run(self):
        ua = self.ua
        ub = self.ub
        ua.send_to(self.data, self.size, IP_B, 6970)
        self.pair.run(5)
        self.got_b = ub.recv_into(self.buf)
        ub.send_to(self.buf, self.got_b, ub.peer_addr, ub.peer_port)
        self.pair.run(5)
        self.got_a = ua.recv_into(self.buf)


def udp_heap_locked(pair, rounds=20, size=1000):
    """After a warm-up, UDP round trips with the heap locked around both
    Interfaces' polls, the drivers and the chip models (support.heap_locked:
    on MicroPython any allocation fails the test; CPython: a plain run)."""
    from support import heap_locked
    ua = pair.a.add_socket(UdpSocket())
    ua.bind(1001)
    ub = pair.b.add_socket(UdpSocket())
    ub.bind(6970)
    data = pattern(size, 9)
    rt = _RoundTrip(pair, ua, ub, data, size)
    step = rt.run
    step()              # warm-up: first use of each buffer, ARP
    for _ in range(rounds):
        heap_locked(step)
        assert rt.got_b == size and rt.got_a == size and bytes(rt.buf[:size]) == data
    pair.a.remove_socket(ua)
    pair.b.remove_socket(ub)


# --- TCP: bulk data both ways at once ---------------------------------------

_BLOCK = 4096
KB = 1024
MB = 1024 * KB


def _tcp_pattern():
    # not a multiple of any segment size, so misplaced bytes show
    b = bytearray(_BLOCK)
    for i in range(_BLOCK):
        b[i] = (i * 7 + (i >> 8) + (i >> 11)) & 0xFF
    return bytes(b)


PATTERN = _tcp_pattern()


def expected_digest(n):
    """SHA-256 of the first n bytes of the endless PATTERN stream."""
    h = hashlib.sha256()
    while n >= _BLOCK:
        h.update(PATTERN)
        n -= _BLOCK
    if n:
        h.update(PATTERN[:n])
    return h.digest()


class ChipTime:
    """The SPI models count time in SPI transactions: while the driver does
    not talk to the chip (the host asleep, waiting for an interrupt), a
    frame it was given would never leave. run() lets `ticks` of the chip's
    own time pass, as a millisecond on real silicon would. Allocation-free."""

    def __init__(self, model, ticks=4):
        self.tick = model._tick         # the step a transaction's end takes
        self.ticks = ticks

    def run(self):
        for _ in range(self.ticks):
            self.tick()


class TcpPump:
    """TcpSocket a on interface ia connects to b listening on ib; both send
    n bytes of PATTERN at once and read what arrives, each chunk compared
    with the pattern (bad counts mismatches) and, with hashing, fed to a
    SHA-256 per direction. The fake clock (self.t) jumps over idle time to
    the next timer, so a lossy transfer costs CPU for the work done only.

    flag: the Flag the driver under ia sets from its interrupt. Then ia is
    polled the way smolnet.aio's Driver runs with an interrupt: only when
    the flag was set, a timer is due, or the application queued data (the
    kick() of aio's sockets). An interrupt the driver fails to raise leaves
    frames sitting in the chip until a timer comes: `unannounced` counts
    the polls that found frames the flag had not announced (0 when the
    driver's interrupt works).
    Without a flag ia is polled every step (poll mode). ib is always polled.
    chip: anything with run(), called every step after ia's turn to let
    the chip's own time pass (ChipTime for the SPI models; QEMU's pump).

    run() allocates nothing with hashing off (support.heap_locked)."""

    def __init__(self, ia, ib, n, flag=None, chip=None, hashing=True, t0=0,
                 port=5001, rx=16384, tx=16384, **opts):
        self.ia = ia
        self.ib = ib
        self.n = n
        self.flag = flag
        self.chip = chip
        self.t = t0
        self.a = ia.add_socket(TcpSocket(rx, tx, **opts))
        self.b = ib.add_socket(TcpSocket(rx, tx, **opts))
        self.b.listen(port)
        self.a.connect(IP_B, port, local_port=40001)
        self.sa = 0
        self.sb = 0
        self.ra = 0
        self.rb = 0
        self.bad = 0
        self.steps = 0
        self.quiet = 0              # idle rounds in a row
        self.limit = 0
        self.polls_a = 0            # polls of ia (fewer than steps with a flag)
        self.wakeups = 0            # polls of ia the interrupt asked for
        self.unannounced = 0        # other polls of ia that found frames waiting
        self.buf = bytearray(_BLOCK)
        self.mv = memoryview(self.buf)
        self.ha = hashlib.sha256() if hashing else None
        self.hb = hashlib.sha256() if hashing else None

    def more(self, n):
        """Send n more bytes each way (the streams continue the pattern)."""
        self.n += n

    def _push(self, s, sent):
        # as much as the socket takes: the transfer is paced by TCP, not us
        while sent < self.n and s.may_send():
            o = sent % _BLOCK
            k = self.n - sent
            if k > _BLOCK - o:
                k = _BLOCK - o
            k = s.send(PATTERN, o, k)
            if k <= 0:
                break
            sent += k
        return sent

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

    def _poll_a(self, t, kicked):
        f = self.flag
        ia = self.ia
        self.polls_a += 1
        if f is None:
            return ia.poll(t)
        if f.count:
            f.clear()               # the waker is read before the poll, as in aio
            self.wakeups += 1
            return ia.poll(t)
        if not kicked and ia.poll_delay(t) != 0:
            self.polls_a -= 1
            return False            # asleep: nothing due, no interrupt
        # polled for a timer or new data, not the interrupt: a frame found
        # in the chip now arrived without raising the flag (unless it came
        # in during this poll, its interrupt with it: QEMU runs meanwhile)
        r0 = ia.stats.rx_frames
        did = ia.poll(t)
        if ia.stats.rx_frames != r0 and not f.count:
            self.unannounced += 1
        return did

    def step(self):
        """One round: the applications write, both sides poll, the
        applications read, the clock moves (to the next timer if idle)."""
        sa = self._push(self.a, self.sa)
        kicked = sa != self.sa
        self.sa = sa
        self.sb = self._push(self.b, self.sb)
        t = self.t
        da = self._poll_a(t, kicked)
        if self.chip is not None:
            self.chip.run()
        db = self.ib.poll(t)
        self.rb = self._pull(self.b, self.rb, self.hb)
        self.ra = self._pull(self.a, self.ra, self.ha)
        adv = 1
        if da or db or (self.flag is not None and self.flag.count):
            self.quiet = 0
        else:
            self.quiet += 1
        if self.quiet >= 2:
            # two idle rounds in a row: a frame a chip was still sending
            # during the first has arrived by now, so nothing moves until
            # a timer does (one idle round is not enough: a frame may
            # land in a chip after its driver looked this round)
            d = self.ia.poll_delay(t)
            e = self.ib.poll_delay(t)
            if e >= 0 and (d < 0 or e < d):
                d = e
            if d > 1:
                adv = d
        self.t = time.ticks_add(t, adv)
        self.steps += 1

    def run(self, max_steps):
        k = 0
        while k < max_steps and not (self.ra >= self.n and self.rb >= self.n):
            self.step()
            k += 1

    def run_limit(self):
        # run() with self.limit: a bound method, nothing to allocate calling it
        self.run(self.limit)

    def settle(self, cond, max_steps):
        """Step until cond() holds (applications neither write nor read)."""
        for _ in range(max_steps):
            if cond():
                return True
            self.step()
        return cond()

    def check(self):
        """Both streams complete and byte-exact (hashes compared)."""
        assert self.done(), (self.ra, self.rb, self.n, self.a.state_name(),
                             self.b.state_name())
        assert self.bad == 0
        if self.ha is not None:
            want = expected_digest(self.n)
            assert self.ha.digest() == want and self.hb.digest() == want

    def close(self, max_steps=20000):
        """Clean close: a first, b once it has read a's FIN; a ends in
        TIME-WAIT, b CLOSED without error."""
        a = self.a
        b = self.b
        a.close()
        assert self.settle(b.at_eof, max_steps)
        b.close()
        assert self.settle(self._b_closed, max_steps), b.state_name()
        assert b.error == 0 and a.error == 0
        assert a.state == TIME_WAIT, a.state_name()

    def _b_closed(self):
        return self.b.state == CLOSED


def tcp_transfer(ia, ib, n=256 * KB, flag=None, chip=None, max_steps=200000, t0=0,
                 **opts):
    """n bytes each way at once between ia and ib, hash-compared, then a
    clean close. Returns the TcpPump (sockets, counters, fake time)."""
    p = TcpPump(ia, ib, n, flag=flag, chip=chip, t0=t0, **opts)
    p.run(max_steps)
    p.check()
    p.close()
    return p


def tcp_end_to_end(dev_a, dev_b, n, flag=None, chip=None, faults=None, burst_b=0,
                   **opts):
    """Pair over dev_a (the driver) and dev_b (the far end of the cable,
    wrapped in a FaultInjector with the `faults` settings when given),
    then tcp_transfer. burst_b: segments b may send per poll (Config
    tx_burst; 0 = default). Returns (pair, pump, fault injector or None)."""
    fi = None
    if faults:
        fi = dev_b = FaultInjector(dev_b, **faults)
    pair = Pair(dev_a, dev_b, Config(strict=True, tx_burst=burst_b) if burst_b else None)
    pump = tcp_transfer(pair.a, pair.b, n, flag=flag, chip=chip, **opts)
    return pair, pump, fi


def heap_locked_segments(pump, chunk=16 * KB, rounds=4, max_steps=5000):
    """After a warm-up transfer (the caller's), `rounds` more chunks each
    way with support.heap_locked around the whole segment loop: both
    Interfaces, TCP, the driver and the chip model allocate nothing per
    segment. Hashing must be off (hashlib allocates)."""
    from support import heap_locked
    assert pump.ha is None
    pump.limit = max_steps
    for _ in range(rounds):
        pump.more(chunk)
        heap_locked(pump.run_limit)
        assert pump.done() and pump.bad == 0, (pump.ra, pump.rb, pump.n)
