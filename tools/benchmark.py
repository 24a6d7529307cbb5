# Bulk TCP throughput, in the manner of smoltcp's examples/benchmark.rs.
#
# smolnet's side (MicroPython unix port or CPython), one transfer, then exit:
#   micropython tools/benchmark.py --iface veth-s --ip 192.0.2.2/24 reader
#       listens on 1234 and sends -n bytes of the test pattern to the peer
#       that connects (which *reads* them), then closes
#   micropython tools/benchmark.py --iface veth-s --ip 192.0.2.2/24 writer
#       listens on 1235 and reads what the peer *writes* until it closes,
#       checking the pattern
# The Linux kernel's side, a small program on kernel sockets (CPython):
#   python3 tools/benchmark.py kernel-reader 192.0.2.2    connect to 1234, read to EOF
#   python3 tools/benchmark.py kernel-writer 192.0.2.2    connect to 1235, write -n bytes
#   python3 tools/benchmark.py kernel-serve reader|writer
#       smolnet's side on kernel sockets: the kernel's own figure (the ceiling)
# In one process, no root, no network:
#   micropython tools/benchmark.py loopback [-n BYTES] [--drop-chance PCT]
#       two Interfaces on a Loopback pair, -n bytes from one to the other
#
# Each side prints "MODE: N bytes in T ms: R MB/s" (MB = 10**6 bytes); the
# kernel client's figure (connect to end of stream) is the one to compare,
# since it is measured the same way against smolnet and against the kernel.
import sys
import time
import common
from common import say, ticks_ms, ticks_diff

READER_PORT = 1234      # smolnet sends, the peer reads
WRITER_PORT = 1235      # the peer writes, smolnet reads


def options():
    p = common.Options("benchmark.py",
                       "TCP throughput: MODE is reader or writer (smolnet's side, against a "
                       "peer such as kernel-reader/kernel-writer), kernel-reader ADDRESS, "
                       "kernel-writer ADDRESS, kernel-serve reader|writer (kernel sockets), "
                       "or loopback (two Interfaces in this process).", "MODE [ARG]")
    common.add_link_options(p, default_mac=b"\x02\x00\x00\x00\x00\x01",
                            default_ip="192.0.2.2/24")
    p.add("-n", "size", int, 20000000, "bytes to transfer", "BYTES")
    p.add("--progress", "progress", int, 0,
          "a progress line on stderr every MS milliseconds (0: none)", "MS")
    p.add("--buffer", "buffer", int, 65536, "TCP receive and send buffer, each (smolnet)",
          "BYTES")
    p.add("--timeout", "timeout", float, 120, "give up after this many seconds", "S")
    p.add("--no-verify", "no_verify", None, None,
          "do not check the received bytes (loopback: the stack's cost alone)")
    return p


def report(mode, n, ms, extra=""):
    rate = n / 1000.0 / ms if ms > 0 else 0.0
    say("%s: %d bytes in %d ms: %.2f MB/s%s" % (mode, n, ms, rate, extra))


# --- smolnet's side -------------------------------------------------------------
class Transfer:
    """Moves the test pattern through one socket: sends `n` bytes (reader
    mode: the peer reads) or receives until the peer closes (writer mode),
    checking every byte. Allocates nothing per segment."""

    def __init__(self, sock, n, sending, verify=True):
        self.sock = sock
        self.n = n
        self.sending = sending
        self.verify = verify
        self.done_bytes = 0
        self.bad = 0
        self.buf = bytearray(8192)
        self.t0 = 0
        self.t1 = 0
        self.started = False
        self.finished = False
        self.progress = None        # a common.Progress, for long runs

    def step(self, now):
        if self.progress is not None and self.started:
            self.progress.update(self.done_bytes, now)
        s = self.sock
        if not self.started:
            if not s.is_connected():
                return
            self.started = True
            self.t0 = now
        if self.sending:
            if self.done_bytes < self.n and s.may_send():
                self.done_bytes += common.send_pattern(s, self.done_bytes,
                                                       self.n - self.done_bytes)
                if self.done_bytes == self.n:
                    s.close()
            while s.recv_into(self.buf) > 0:
                pass
            # done once the peer has every byte (our FIN acknowledged)
            if not self.finished and self.done_bytes == self.n and s.send_pending() == 0 \
                    and s.state != 5:   # FIN-WAIT-1: the FIN itself is unacknowledged
                self._finish(now)
        else:
            while True:
                k = s.recv_into(self.buf)
                if k <= 0:
                    break
                if self.verify and not common.check_pattern(self.buf, k, self.done_bytes):
                    self.bad += 1
                self.done_bytes += k
            if s.at_eof() or (s.state == 0 and s.error):
                if s.may_send():
                    s.close()
                if not self.finished:
                    self._finish(now)

    def _finish(self, now):
        self.finished = True
        self.t1 = now

    def ms(self):
        return ticks_diff(self.t1, self.t0)


def smolnet_side(opts, mode):
    from smolnet.socket.tcp import TcpSocket
    common.install_sigterm()
    link = common.Link(opts, "benchmark.py", default_mac=b"\x02\x00\x00\x00\x00\x01")
    iface = common.make_interface(opts, link)
    sock = TcpSocket(opts.buffer, opts.buffer)
    sending = mode == "reader"
    sock.listen(READER_PORT if sending else WRITER_PORT)
    iface.add_socket(sock)
    xfer = Transfer(sock, opts.size, sending, not opts.no_verify)
    xfer.progress = common.Progress(mode, opts.size, opts.progress)
    loop = common.Loop(iface, link, max_wait_ms=100)
    say("benchmark %s on %s, ip %s, port %d" % (mode, link.name, " ".join(iface.ips()),
                                                sock.local_port))
    say("ready")
    deadline = int(opts.timeout * 1000)
    start = ticks_ms()
    code = 1
    try:
        while ticks_diff(ticks_ms(), start) < deadline:
            loop.step(10)
            now = ticks_ms()
            xfer.step(now)
            if xfer.finished and sock.state in (0, 10):   # CLOSED, TIME-WAIT
                code = 0 if xfer.bad == 0 and xfer.done_bytes == opts.size else 1
                break
            if xfer.started and sock.state == 0 and not xfer.finished:
                say("connection lost: errno %d" % sock.error)
                break
    except KeyboardInterrupt:
        pass
    for _ in range(20):         # let the last ACK out
        iface.poll(ticks_ms())
    if xfer.finished:
        report(mode, xfer.done_bytes, xfer.ms(), "" if not xfer.bad else
               " (%d chunks with wrong bytes)" % xfer.bad)
    else:
        say("%s: unfinished after %d bytes" % (mode, xfer.done_bytes))
    say("tcp: retransmits=%d timeouts=%d recoveries=%d" % (
        sock.retransmits, sock.timeouts, sock.recoveries))
    say(common.stats_line(iface))
    for line in link.counters():
        say(line)
    link.close()
    sys.exit(code)


# --- in one process ----------------------------------------------------------------
def loopback(opts):
    from smolnet.phy.loopback import Loopback
    from smolnet.phy.fault import FaultInjector
    from smolnet.iface.interface import Interface
    from smolnet.socket.tcp import TcpSocket
    from smolnet.wire import ipaddr
    da, db = Loopback.pair(slots=64)
    if opts.drop_chance or opts.corrupt_chance:
        da = FaultInjector(da, drop_chance=opts.drop_chance,
                           corrupt_chance=opts.corrupt_chance, seed=opts.seed)
        db = FaultInjector(db, drop_chance=opts.drop_chance,
                           corrupt_chance=opts.corrupt_chance, seed=opts.seed + 1)
    ia = Interface(da)
    ia.add_ip("192.0.2.1/24")
    ib = Interface(db)
    ib.add_ip("192.0.2.2/24")
    a = ia.add_socket(TcpSocket(opts.buffer, opts.buffer))
    b = ib.add_socket(TcpSocket(opts.buffer, opts.buffer))
    b.listen(WRITER_PORT)
    a.connect(ipaddr.parse4("192.0.2.2"), WRITER_PORT)
    tx = Transfer(a, opts.size, True)
    rx = Transfer(b, opts.size, False, not opts.no_verify)
    rx.progress = common.Progress("loopback", opts.size, opts.progress)
    start = ticks_ms()
    deadline = int(opts.timeout * 1000)
    while not (tx.finished and rx.finished):
        now = ticks_ms()
        if ticks_diff(now, start) > deadline:
            say("loopback: unfinished after %d bytes" % rx.done_bytes)
            sys.exit(1)
        ia.poll(now)
        ib.poll(now)
        tx.step(now)
        rx.step(now)
    ms = ticks_diff(rx.t1, tx.t0)
    report("loopback", rx.done_bytes, ms, "" if not rx.bad else
           " (%d chunks with wrong bytes)" % rx.bad)
    say("tcp: segments=%d retransmits=%d timeouts=%d" % (
        a.tx_segments, a.retransmits, a.timeouts))
    sys.exit(0 if rx.bad == 0 and rx.done_bytes == opts.size else 1)


# --- the kernel's side (CPython) -----------------------------------------------------
def kernel_client(opts, mode, address):
    import socket
    port = READER_PORT if mode == "kernel-reader" else WRITER_PORT
    t0 = time.monotonic()
    s = socket.create_connection((address, port), timeout=opts.timeout)
    n = _kernel_transfer(s, mode == "kernel-writer", opts.size)
    ms = int((time.monotonic() - t0) * 1000)
    s.close()
    report(mode, n, ms)
    sys.exit(0 if n == opts.size else 1)


def kernel_serve(opts, what):
    import socket
    port = READER_PORT if what == "reader" else WRITER_PORT
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(1)
    say("ready")
    s, _ = ls.accept()
    s.settimeout(opts.timeout)
    t0 = time.monotonic()
    n = _kernel_transfer(s, what == "reader", opts.size)
    ms = int((time.monotonic() - t0) * 1000)
    s.close()
    report("kernel-serve " + what, n, ms)
    sys.exit(0 if n == opts.size else 1)


def _kernel_transfer(s, sending, n):
    """Send n pattern bytes and wait for the peer's close, or read to EOF
    checking the pattern; returns the bytes moved (-1: wrong bytes)."""
    block = common.PATTERN * 16
    period = common.PATTERN_PERIOD
    if sending:
        done = 0
        while done < n:
            off = done % period
            k = len(block) - off
            if k > n - done:
                k = n - done
            done += s.send(memoryview(block)[off:off + k])
        s.shutdown(1)       # SHUT_WR: our FIN; the peer closes after reading all
        while s.recv(65536):
            pass
        return done
    got = 0
    ok = True
    buf = bytearray(len(block) - period)
    view = memoryview(buf)
    while True:
        k = s.recv_into(buf)
        if not k:
            break
        off = got % period
        if view[:k] != memoryview(block)[off:off + k]:
            ok = False
        got += k
    return got if ok else -1


def main(argv):
    opts = options().parse(argv)
    if not opts.args:
        common.fail("benchmark.py", "give a MODE (try --help)")
    mode = opts.args[0]
    if mode in ("reader", "writer"):
        smolnet_side(opts, mode)
    elif mode == "loopback":
        loopback(opts)
    elif mode in ("kernel-reader", "kernel-writer"):
        if len(opts.args) != 2:
            common.fail("benchmark.py", "%s needs the ADDRESS of smolnet's side" % mode)
        kernel_client(opts, mode, opts.args[1])
    elif mode == "kernel-serve":
        if len(opts.args) != 2 or opts.args[1] not in ("reader", "writer"):
            common.fail("benchmark.py", "kernel-serve needs reader or writer")
        kernel_serve(opts, opts.args[1])
    else:
        common.fail("benchmark.py", "unknown MODE %s (try --help)" % mode)


if __name__ == "__main__":
    main(sys.argv[1:])
