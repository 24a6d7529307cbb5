# Shared parts of smolnet's host tools (server.py, ping.py, tcpdump.py,
# client.py, httpclient.py, benchmark.py): option parsing, building the
# device stack and the Interface, the poll loop, and the test pattern. Runs
# on the MicroPython unix port and on CPython (argparse is not on
# MicroPython, hence the small parser below).
#
# Device stack, bottom up:
#   AfPacket (--iface IF), Tap (--tap IF, CPython) or, on a firmware that has
#   the tools frozen in (the QEMU boards), the board's MAC driver (--board B)
#   -> FaultInjector  (if any fault option is given)
#   -> PcapWriter     (if --pcap FILE)
#   -> Interface
# so the pcap shows exactly what the Interface sent and received.
import sys
import time

# the tools live in tools/; the smolnet package is one level up
_here = sys.path[0] if sys.path and sys.path[0] else "."
_root = _here + "/.." if _here != "." else ".."
if _root not in sys.path:
    sys.path.insert(1, _root)

import smolnet  # noqa: E402,F401  (installs the CPython shim before time.ticks_*)
from time import ticks_ms, ticks_diff  # noqa: E402
from smolnet.fast import equal  # noqa: E402

MICROPYTHON = sys.implementation.name == "micropython"


def say(*parts):
    """print() that reaches a pipe or file at once (a killed tool leaves its
    last lines behind)."""
    print(*parts)
    f = getattr(sys.stdout, "flush", None)
    if f:
        f()


def fail(prog, msg, code=2):
    sys.stderr.write("%s: error: %s\n" % (prog, msg))
    sys.exit(code)


# --- options ------------------------------------------------------------
class Options:
    """A small argparse: options with one value or none (flags), positional
    arguments, -h/--help. parse(argv) returns an object whose attributes are
    the option values (dest names) plus .args, the positional arguments."""

    def __init__(self, prog, usage, positional=""):
        self.prog = prog
        self.usage = usage
        self.positional = positional
        self.specs = []   # [names, dest, convert (None = flag), default, help, metavar]

    def add(self, names, dest, convert=str, default=None, help="", metavar="X"):
        self.specs.append([names.split(","), dest, convert, default, help, metavar])

    def help_text(self):
        lines = [("usage: %s [options] %s" % (self.prog, self.positional)).strip(), "",
                 self.usage, "",
                 "options:"]
        for names, dest, conv, default, hlp, mv in self.specs:
            flag = ", ".join(names) + ("" if conv is None else " " + mv)
            if isinstance(default, bytes) and len(default) == 6:
                default = fmt_mac(default)
            d = "" if default is None or conv is None or "(0:" in hlp \
                else " (default %s)" % (default,)
            lines.append("  %-24s %s%s" % (flag, hlp, d))
        lines.append("  %-24s %s" % ("-h, --help", "show this help"))
        return "\n".join(lines)

    def _find(self, name):
        for s in self.specs:
            if name in s[0]:
                return s
        return None

    def parse(self, argv):
        ns = Namespace()
        for names, dest, conv, default, hlp, mv in self.specs:
            setattr(ns, dest, False if conv is None and default is None else default)
        ns.args = []
        i = 0
        while i < len(argv):
            a = argv[i]
            i += 1
            if a in ("-h", "--help"):
                print(self.help_text())
                sys.exit(0)
            if a == "--":
                ns.args.extend(argv[i:])
                break
            if not a.startswith("-") or a == "-" or _is_number(a):
                ns.args.append(a)
                continue
            value = None
            if a.startswith("--") and "=" in a:
                a, value = a.split("=", 1)
            spec = self._find(a)
            if spec is None:
                fail(self.prog, "unknown option %s (try --help)" % a)
            names, dest, conv, default, hlp, mv = spec
            if conv is None:
                if value is not None:
                    fail(self.prog, "%s takes no value" % a)
                setattr(ns, dest, True)
                continue
            if value is None:
                if i >= len(argv):
                    fail(self.prog, "%s needs a value" % a)
                value = argv[i]
                i += 1
            try:
                setattr(ns, dest, conv(value))
            except ValueError:
                fail(self.prog, "bad value for %s: %s" % (a, value))
        return ns


class Namespace:
    pass


def _is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def parse_mac(s):
    parts = s.split(":")
    if len(parts) != 6:
        raise ValueError(s)
    return bytes([int(p, 16) for p in parts])


def add_link_options(p, default_mac=None, default_ip=None, want_ip=True):
    """The options every tool shares."""
    p.add("--iface", "iface", str, None, "attach to this interface with AF_PACKET", "IF")
    p.add("--tap", "tap", str, None, "create and use this TAP device (CPython)", "IF")
    p.add("--board", "board", str, None, "on a board's firmware: its MAC driver (%s)"
          % " or ".join(BOARDS), "BOARD")
    p.add("--mac", "mac", parse_mac, default_mac,
          "Ethernet address" + ("" if default_mac else " (default: the interface's)"), "MAC")
    if want_ip:
        p.add("--ip", "ip", str, default_ip, "address and prefix", "ADDR/PREFIX")
        p.add("--gw", "gw", str, None, "default gateway", "ADDR")
        p.add("--ip6", "ip6", str, None, "IPv6 address and prefix, or 'auto' for the "
              "link-local address and SLAAC only (without it IPv6 is off)", "ADDR/PREFIX")
        p.add("--gw6", "gw6", str, None, "IPv6 default router", "ADDR")
    p.add("--pcap", "pcap", str, None, "write every frame sent and received to FILE", "FILE")
    p.add("--drop-chance", "drop_chance", float, 0, "drop this % of frames", "PCT")
    p.add("--corrupt-chance", "corrupt_chance", float, 0, "flip a bit in this % of frames",
          "PCT")
    p.add("--size-limit", "size_limit", int, 0, "drop frames longer than this (0: no limit)",
          "BYTES")
    p.add("--tx-rate-limit", "tx_rate_limit", int, 0, "frames sent per shaping interval",
          "N")
    p.add("--rx-rate-limit", "rx_rate_limit", int, 0, "frames received per shaping interval",
          "N")
    p.add("--shaping-interval", "shaping_interval", int, 0, "rate limit window", "MS")
    p.add("--seed", "seed", int, 1, "seed of the fault injector's random numbers", "N")


def _epoch_ms():
    # pcap timestamps are wall-clock time, so Wireshark shows real dates
    if MICROPYTHON:
        return time.time_ns() // 1000000
    return int(time.time() * 1000)


# --- building the stack -----------------------------------------------------
# --board: the firmware boards whose NIC the tools can open themselves
BOARDS = ("MPS2_AN385", "QEMU_SABRELITE")


def board_nic(board, mac):
    """The MAC driver of a firmware board, as its README's bring-up line
    makes it (mac=None: the driver picks one)."""
    if board == "MPS2_AN385":
        from boards.lan9118 import LAN9118
        return LAN9118(mac=mac)
    if board == "QEMU_SABRELITE":
        from boards.nxpenet import NXPENET
        return NXPENET(base=0x02188000, phy_addr=6, mac=mac)
    raise ValueError("unknown board %s (known: %s)" % (board, " ".join(BOARDS)))


class Link:
    """The device stack of one tool: raw device, optional fault injector,
    optional pcap writer. .dev is the top (what the Interface uses)."""

    def __init__(self, opts, prog, default_mac=None, pcap_mode=None):
        if (opts.iface, opts.tap, opts.board).count(None) != 2:
            fail(prog, "give one of --iface IF (AF_PACKET), --tap IF (TAP, CPython) "
                 "or --board BOARD (firmware)")
        mac = opts.mac if opts.mac is not None else default_mac
        self.board = opts.board
        if opts.board:
            try:
                raw = board_nic(opts.board, mac)
            except ValueError as e:
                fail(prog, str(e))
        elif opts.iface:
            from smolnet.phy.afpacket import AfPacket
            try:
                raw = AfPacket(opts.iface, mac)
            except OSError as e:
                fail(prog, "cannot open %s with AF_PACKET: %s (root needed; does it exist?)"
                     % (opts.iface, e), 1)
            _warn_not_promiscuous(opts.iface, raw.mac)
        else:
            if MICROPYTHON:
                fail(prog, "--tap needs CPython; use --iface on MicroPython")
            from smolnet.phy.tap import Tap
            try:
                raw = Tap(opts.tap, mac if mac is not None else b"\x02\x00\x00\x00\x00\x01")
            except OSError as e:
                fail(prog, "cannot create TAP %s: %s" % (opts.tap, e), 1)
        self.raw = raw
        self.fault = None
        self.pcap = None
        dev = raw
        if (opts.drop_chance or opts.corrupt_chance or opts.size_limit
                or opts.tx_rate_limit or opts.rx_rate_limit):
            from smolnet.phy.fault import FaultInjector
            try:
                dev = self.fault = FaultInjector(
                    dev, drop_chance=opts.drop_chance, corrupt_chance=opts.corrupt_chance,
                    size_limit=opts.size_limit, tx_rate_limit=opts.tx_rate_limit,
                    rx_rate_limit=opts.rx_rate_limit,
                    shaping_interval=opts.shaping_interval, seed=opts.seed, clock=ticks_ms)
            except ValueError as e:
                fail(prog, str(e))
        if opts.pcap:
            from smolnet.phy import pcap
            if MICROPYTHON:
                stream = open(opts.pcap, "wb")  # unbuffered on the unix port
            else:
                stream = open(opts.pcap, "wb", buffering=0)  # each frame hits the file
            kw = {}
            if pcap_mode is not None:
                kw["mode"] = pcap_mode
            dev = self.pcap = pcap.PcapWriter(dev, stream, _epoch_ms, **kw)
        self.dev = dev
        self.name = opts.iface or opts.tap or opts.board

    def counters(self):
        """'fault: ...' and 'pcap: ...' lines for the tools' reports."""
        out = []
        f = self.fault
        if f is not None:
            out.append("fault: dropped=%d corrupted=%d reordered=%d"
                       % (f.dropped, f.corrupted, f.reordered))
        if self.pcap is not None:
            out.append("pcap: frames=%d" % self.pcap.frames)
        raw = self.raw
        errs = "device: rx_errors=%d tx_errors=%d" % (getattr(raw, "rx_errors", 0),
                                                      getattr(raw, "tx_errors", 0))
        out.append(errs)
        return out

    def flush(self):
        if self.pcap is not None:
            self.pcap.flush()

    def close(self):
        self.dev.close()


def _warn_not_promiscuous(ifname, mac):
    # frames for a MAC other than the interface's own reach an AF_PACKET
    # socket on a veth, but a real NIC filters them unless promiscuous
    try:
        with open("/sys/class/net/%s/address" % ifname) as f:
            own = f.read().strip()
        with open("/sys/class/net/%s/flags" % ifname) as f:
            flags = int(f.read().strip(), 16)
    except (OSError, ValueError):
        return
    if own != fmt_mac(mac) and not flags & 0x100:  # IFF_PROMISC
        say("note: smolnet's MAC %s is not %s's own (%s) and %s is not promiscuous; "
            "a real NIC will drop frames for smolnet: ip link set %s promisc on"
            % (fmt_mac(mac), ifname, own, ifname, ifname))


def make_interface(opts, link):
    from smolnet.iface.interface import Interface
    from smolnet.config import Config
    # IPv6 only when asked for: a tool on a kernel's veth otherwise counts
    # the kernel's IPv6 chatter as an unknown EtherType, as it always did
    ip6 = getattr(opts, "ip6", None)
    iface = Interface(link.dev, Config(ipv6=bool(ip6),
                                       router_solicitations=3 if ip6 == "auto" else 0))
    try:
        if opts.ip:
            iface.add_ip(opts.ip if "/" in opts.ip else opts.ip + "/24")
        if ip6 and ip6 != "auto":
            iface.add_ip(ip6 if "/" in ip6 else ip6 + "/64")
        if opts.gw:
            iface.routes.add_default(opts.gw)
        if getattr(opts, "gw6", None):
            iface.routes6.add_default(opts.gw6)
    except ValueError as e:
        fail("smolnet", str(e))
    return iface


def stats_line(iface):
    """'iface: rx_frames=.. tx_frames=.. <every non-zero counter>'."""
    from smolnet.iface.stats import NAMES
    st = iface.stats
    parts = ["iface:"]
    for n in NAMES:
        v = getattr(st, n)
        if v or n in ("rx_frames", "tx_frames"):
            parts.append("%s=%d" % (n, v))
    return " ".join(parts)


def fmt_mac(m):
    return ":".join(["%02x" % b for b in m])


# --- the poll loop ----------------------------------------------------------
class Loop:
    """iface.poll(now), then sleep until a frame may be waiting (select.poll
    on the device) or the Interface's next timer, capped at max_wait_ms."""

    def __init__(self, iface, link, max_wait_ms=1000):
        self.iface = iface
        self.link = link
        self.max_wait_ms = max_wait_ms
        obj = link.dev.poll_obj
        self.poller = None
        self.stdin = None
        # a device with nothing to wait on (a board's MAC in poll mode) is
        # asked again after 1 ms of idleness, as the boards' main.py does
        self.idle_ms = max_wait_ms if obj is not None else 1
        import select
        if obj is not None:
            self.poller = select.poll()
            self.poller.register(obj, select.POLLIN)
        if getattr(link, "board", None):
            # MicroPython's qemu port has no UART interrupt, so Ctrl-C cannot
            # interrupt running code there: the loop reads it from stdin
            self.stdin = select.poll()
            self.stdin.register(sys.stdin, select.POLLIN)
        self._flushed = ticks_ms()
        tune_gc()

    def step(self, max_wait_ms=-1):
        """One poll and one wait. max_wait_ms caps the wait (the caller's own
        timers); returns what iface.poll returned."""
        iface = self.iface
        did = iface.poll(ticks_ms())
        if did:
            return True  # more may be due at once (replies queued by the caller)
        now = ticks_ms()
        d = iface.poll_delay(now)
        cap = self.max_wait_ms if max_wait_ms < 0 else max_wait_ms
        if d < 0 or d > cap:
            d = cap
        if d > self.idle_ms:
            d = self.idle_ms
        if self.stdin is not None:
            self.check_stdin()
        if d > 0:
            self.wait(d)
        if ticks_diff(now, self._flushed) >= 200:
            self._flushed = now
            self.link.flush()
        return did

    def check_stdin(self):
        """Ctrl-C typed on a board's console raises KeyboardInterrupt."""
        if self.stdin.poll(0) and sys.stdin.read(1) == "\x03":
            raise KeyboardInterrupt

    def wait(self, ms):
        if self.poller is None:
            time.sleep_ms(ms)
        elif MICROPYTHON:
            for _ in self.poller.ipoll(ms):
                break
        else:
            self.poller.poll(ms)


def tune_gc(threshold=None):
    """Collect garbage early and often on MicroPython. Why: a function whose
    frame is larger than a few words gets that frame from the heap on every
    call (MicroPython's VM, unless the heap is locked), and gc_alloc looks
    for room from the first free block on. The unix port's AF_PACKET device
    leaves a bytes object per received frame; left to pile up until the heap
    is full, that garbage makes every such call walk past it, and a bulk
    transfer spends most of its time in gc_alloc (measured: 3.5 MB/s instead
    of 15-20 MB/s against the kernel). A collection per few hundred KB keeps
    the pile short. No-op on CPython."""
    if not MICROPYTHON:
        return
    import gc
    gc.collect()
    if threshold is None:
        threshold = gc.mem_free() // 4
        if threshold > 524288:
            threshold = 524288
    gc.threshold(threshold)


def install_sigterm():
    """On CPython, make SIGTERM end a tool like Ctrl-C does (counters printed,
    pcap closed). MicroPython's unix port has no signal module: there SIGINT
    is the way to stop a tool cleanly."""
    try:
        import signal
    except ImportError:
        return

    def _term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _term)


# --- progress ------------------------------------------------------------------
class Progress:
    """For long runs: a line on stderr every `every_ms` of the run,
    'LABEL: 12.00 of 20.00 MB, 9.81 MB/s' (MB = 10**6 bytes); stdout stays
    what scripts parse. every_ms 0: silent."""

    def __init__(self, label, total, every_ms=1000):
        self.label = label
        self.total = total
        self.every_ms = every_ms
        self.t0 = None
        self.last = 0
        self.lines = 0

    def update(self, done, now):
        if not self.every_ms:
            return
        if self.t0 is None:
            self.t0 = self.last = now
            return
        if ticks_diff(now, self.last) < self.every_ms:
            return
        self.last = now
        ms = ticks_diff(now, self.t0)
        rate = done / 1000.0 / ms if ms > 0 else 0.0
        sys.stderr.write("%s: %.2f of %.2f MB, %.2f MB/s\n" % (
            self.label, done / 1e6, self.total / 1e6, rate))
        self.lines += 1


# --- the test pattern ---------------------------------------------------------
# Byte i of every generated stream (the fountain on 6972, HTTP /bytes/N,
# benchmark.py) is i % 251: a prime period, so a segment delivered twice,
# lost or out of place shows up as a wrong byte whatever the segment size.
PATTERN_PERIOD = 251
PATTERN = bytes([i % PATTERN_PERIOD for i in range(PATTERN_PERIOD * 17)])


class PatternBody:
    """A generated body of `size` pattern bytes (smolnet.apps.http): send()
    queues bytes pos.. straight from PATTERN, allocating nothing."""

    def __init__(self, size):
        self.size = size

    def send(self, sock, pos, n):
        return send_pattern(sock, pos, n)


def send_pattern(sock, pos, n):
    """Queue up to n bytes of the pattern from stream position pos; returns
    how many the socket took."""
    total = 0
    last = len(PATTERN)
    while n > 0:
        off = pos % PATTERN_PERIOD
        m = last - off
        if m > n:
            m = n
        k = sock.send(PATTERN, off, m)
        total += k
        pos += k
        n -= k
        if k < m:
            break
    return total


def check_pattern(buf, n, pos):
    """True if buf[:n] is the pattern from stream position pos."""
    off = pos % PATTERN_PERIOD
    done = 0
    while done < n:
        m = len(PATTERN) - off
        if m > n - done:
            m = n - done
        if not equal(buf, done, PATTERN, off, m):
            return False
        done += m
        off = (off + m) % PATTERN_PERIOD
    return True
