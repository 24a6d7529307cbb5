# One-liners for a person at the REPL.
#
#   >>> from smolnet import repl
#   >>> repl.up("veth-s", "192.0.2.2/24", gw="192.0.2.1")   # unix: AF_PACKET
#   >>> repl.up(W5500(spi, cs), "192.0.2.2/24")             # board: a driver
#   >>> repl.ping("192.0.2.1", 3)      # prints like ping(8)
#   >>> repl.arp(); repl.netstat(); repl.stats(); repl.ifconfig()
#   >>> repl.capture(5, "cap.pcap")    # the next 5 s of frames to a pcap file
#   >>> repl.serve(10)                 # just run the stack for 10 s
#   >>> repl.mdns()                    # answer <network.hostname()>.local
#   >>> repl.interactive()             # board: REPL and stack together (aiorepl)
#   --> repl.http(); repl.echo()       # a status page on :80, TCP echo on :7
#
# up() makes the interface the default of the socket facade (so
# smolnet.compat.socket works at once). On MicroPython it also installs that
# module as `socket` and `usocket` (its install()), so `import socket`,
# `import requests` typed after it use smolnet and not the host's stack (the
# unix port's, an lwIP port's): a one-line note says so when a socket module
# was there before; up(..., install=False) keeps it, down() puts it back.
# (Not on CPython: the host process needs its own socket module.) Where
# asyncio exists, up() also creates the
# smolnet.aio driver task: it runs whenever an asyncio loop runs (asyncio.run,
# aiorepl). Between REPL lines nothing runs the stack on the unix port: the
# helpers run it while they work, and serve(s) does for s seconds.
# Everything here allocates and prints; none of it is for a hot path.
import sys
from time import ticks_ms, ticks_diff
from .wire import ipaddr
from .rand import entropy_seed
from . import compat     # compat.network (lan=True): loaded by up() and mdns()
from .compat import socket as _facade

try:
    from time import ticks_us
except ImportError:
    ticks_us = None


class _State:
    out = None
    nic = None
    iface = None
    net = None
    driver = None
    dev = None
    saved = None        # sys.modules' socket/usocket before up() installed ours


_st = _State()
_st.out = print     # set on the instance: a class attribute would bind as a method


def _say(line):
    _st.out(line)


def set_output(fn=None):
    """Send the helpers' lines to fn(line) instead of print (tests, logs)."""
    _st.out = fn if fn is not None else print


def _need():
    if _st.iface is None:
        raise OSError(19, "no interface: call repl.up(...) first")
    return _st


def up(dev, addr=None, gw=None, mac=None, config=None, driver=True, install=None):
    """Bring an interface up in one call. dev: a Linux interface name (unix
    port, AF_PACKET, needs CAP_NET_RAW), any smolnet Device (a board driver
    instance, Loopback, Tap...) or an Interface. addr: 'a.b.c.d/len' (or
    an IPv6 one, '2001:db8::2/64'). install: make smolnet.compat.socket
    the `socket` module (default: on MicroPython). Returns the
    network.LAN-shaped NIC (the REPL echoes it)."""
    if isinstance(dev, str):
        from .phy.afpacket import AfPacket
        dev = AfPacket(dev, mac=mac)
    nic = compat.network.LAN(dev, config=config)   # ImportError naming lan=True without it
    if addr and ":" in addr:
        nic.iface.add_ip(addr)
    elif addr:
        nic.ipconfig(addr4=addr)
    if gw:
        nic.ipconfig(gw4=gw)
    nic.active(True)
    _st.nic = nic
    _st.iface = nic.iface
    _st.dev = nic.iface.device
    _st.net = nic.net
    _st.driver = None
    if driver:
        _start_driver()
    ips = nic.iface.ips()
    _say("%s up: %s mac %s mtu %d%s" % (
        getattr(_st.dev, "ifname", type(_st.dev).__name__),
        ips[0] if ips else "no address", _mac(nic.iface.mac), nic.iface.ip_mtu,
        (" gw " + gw) if gw else ""))
    for a in nic.iface.ips6():
        if not a.startswith("fe80:"):       # the link-local one is always there
            _say("  inet6 " + a)
    if install is None:
        install = sys.implementation.name == "micropython"
    if install:
        _install()
    return nic


def _install():
    """smolnet.compat.socket becomes `socket`/`usocket`; a note when it
    shadows another socket module (modules imported before keep that one)."""
    if sys.modules.get("socket") is _facade:
        return
    try:
        import socket as host          # the unix port's, an lwIP port's
    except ImportError:
        host = None
    _st.saved = (sys.modules.get("socket"), sys.modules.get("usocket"))
    _facade.install()
    if host is not None:
        _say("note: `import socket` now gives smolnet's socket module"
             " (modules imported before keep the host's)")


def _start_driver():
    try:
        from . import aio
    except ImportError:
        return                      # a firmware without asyncio
    d = aio.Driver(_st.iface)
    _st.driver = d
    try:
        d.start()
    except RuntimeError:
        pass                        # CPython outside a loop: start it later


def down():
    st = _need()
    if st.driver is not None:
        st.driver.stop()
    st.nic.active(False)
    try:
        st.dev.close()
    except (AttributeError, OSError):
        pass
    st.nic = st.iface = st.net = st.driver = st.dev = None
    if st.saved is not None:            # the socket modules up() replaced
        for name, m in zip(("socket", "usocket"), st.saved):
            if m is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = m
        st.saved = None


def _mac(m):
    if not m:
        return "-"
    return ":".join("%02x" % b for b in m)


def _ms3(us):
    """'1.234' from microseconds, without floats (boards may lack them)."""
    return "%d.%03d" % (us // 1000, us % 1000)


def serve(seconds):
    """Run the stack for a while (answer ARP and ping, move sockets)."""
    _need().net.wait(_never, int(seconds * 1000))


def _never():
    return False


def ping(host, count=4, size=56, interval_ms=1000, timeout_ms=1000):
    """ping(8): echo requests to host, one line per reply, then the summary.
    Returns None (the REPL prints nothing more)."""
    st = _need()
    try:
        from .compat._ping import PingSocket
    except ImportError:
        from . import left_out
        raise ImportError(left_out("repl.ping: ", "compat._ping", "raw"))
    dst = ipaddr.parse4(_facade.getaddrinfo(host, 0)[0][-1][0])
    s = PingSocket()
    ident = entropy_seed() & 0xFFFF
    s.bind(ident)
    st.iface.add_socket(s)
    payload = bytes((i + 8) & 0xFF for i in range(size))
    ip = ipaddr.fmt4(dst)
    _say("PING %s (%s) %d(%d) bytes of data." % (host, ip, size, size + 28))
    rtts = []
    buf = bytearray(size + 8)
    t_start = ticks_ms()
    clock = ticks_us if ticks_us is not None else ticks_ms
    scale = 1 if ticks_us is not None else 1000
    sent = 0
    try:
        for seq in range(1, count + 1):
            t0 = clock()
            tm0 = ticks_ms()
            try:
                s.send_echo(dst, seq, payload, size)
            except OSError:
                pass
            sent += 1
            got = [False]

            def answered():
                while s.can_recv():
                    n = s.recv_into(buf)
                    if n >= 8 and ((buf[6] << 8) | buf[7]) == seq:
                        got[0] = True
                        rtt = ticks_diff(clock(), t0) * scale
                        rtts.append(rtt)
                        _say("%d bytes from %s: icmp_seq=%d ttl=%d time=%s ms" % (
                            n, ipaddr.fmt4(s.peer_addr), seq, s.ttl, _ms3(rtt)))
                return got[0]

            st.net.wait(answered, timeout_ms)
            if not got[0]:
                _say("no answer from %s: icmp_seq=%d" % (ip, seq))
            if seq < count:
                left = interval_ms - ticks_diff(ticks_ms(), tm0)
                if left > 0:
                    st.net.wait(_never, left)
    finally:
        st.iface.remove_socket(s)
    total = ticks_diff(ticks_ms(), t_start)
    recv = len(rtts)
    _say("--- %s ping statistics ---" % host)
    _say("%d packets transmitted, %d received, %d%% packet loss, time %dms" % (
        sent, recv, (sent - recv) * 100 // sent if sent else 0, total))
    if rtts:
        mn = min(rtts)
        mx = max(rtts)
        avg = sum(rtts) // recv
        var = sum((r - avg) * (r - avg) for r in rtts) // recv
        md = _isqrt(var)
        _say("rtt min/avg/max/mdev = %s/%s/%s/%s ms" % (_ms3(mn), _ms3(avg), _ms3(mx), _ms3(md)))


def _isqrt(n):
    x = n
    y = (x + 1) // 2
    while y < x:
        x = y
        y = (x + n // x) // 2
    return x


def arp():
    """The neighbor (ARP) table."""
    st = _need()
    _say("%-16s %-18s %s" % ("Address", "HWaddress", "Age(s)"))
    for a, m, age in st.iface.neighbors.entries(ticks_ms()):
        _say("%-16s %-18s %d" % (ipaddr.fmt(a), _mac(m) if m else "(incomplete)", age // 1000))


def routes():
    st = _need()
    _say("%-18s %s" % ("Destination", "Gateway"))
    for ip in st.iface.ips():
        _say("%-18s %s" % (ip, "on-link"))
    for net, gw in st.iface.routes.entries():
        _say("%-18s %s" % ("default" if net == "0.0.0.0/0" else net, gw))


def _ep(addr, alen, port):
    a = ipaddr.fmt(addr, 0, alen) if alen else "0.0.0.0"
    return "%s:%s" % (a, port if port else "*")


def _rows(iface):
    local_ip = iface.ip4(0) or ipaddr.ANY4
    for s in iface.sockets:
        p = s.proto
        if p == 17 and not hasattr(s, "local_alen"):
            # the stack's own clients (DNS, DHCP): no queues, a port at most
            yield ("udp", 0, 0, _ep(ipaddr.ANY4, 4, getattr(s, "port", 0)), "0.0.0.0:*",
                   type(s).__name__)
        elif p == 17:
            loc = s.local if s.local_alen else ipaddr.ANY4
            # a socket that is a service of its own says so (its `label`)
            yield ("udp", len(s.rx), len(s.tx), _ep(loc, 4, s.port), "0.0.0.0:*",
                   getattr(s, "label", ""))
        elif p == 1:
            yield ("icmp", len(s.rx), len(s.tx), "%s id=%d" % (ipaddr.fmt4(local_ip), s.ident),
                   "-", "")
        elif p == 6 and hasattr(s, "slots"):
            yield ("tcp", 0, 0, _ep(s.addr or ipaddr.ANY4, 4, s.port), "0.0.0.0:*", "LISTEN")
            for c in s.slots:
                if c.state > 1:
                    yield _tcp_row(c)
        elif p == 6:
            yield _tcp_row(s)


def _tcp_row(s):
    loc = s.local_addr if s.local_set else ipaddr.ANY4
    return ("tcp", s.recv_avail(), s.send_pending(), _ep(loc, s.alen, s.local_port),
            _ep(s.remote_addr, s.alen, s.remote_port) if s.remote_port else "0.0.0.0:*",
            s.state_name())


def netstat():
    """The socket table: protocol, queues, local and remote ends, state."""
    st = _need()
    _say("%-5s %6s %6s %-22s %-22s %s" % ("Proto", "Recv-Q", "Send-Q", "Local Address",
                                          "Foreign Address", "State"))
    for r in _rows(st.iface):
        _say("%-5s %6d %6d %-22s %-22s %s" % r)


def stats(all=False):
    """Interface counters (non-zero ones unless all=True)."""
    st = _need()
    d = st.iface.stats.as_dict()
    from .iface.stats import NAMES
    for k in NAMES:
        if all or d[k]:
            _say("%-26s %d" % (k, d[k]))
    partial = getattr(st.dev, "rx_partial_csum", 0)     # AfPacket: see afpacket.py
    if partial:
        _say("%-26s %d  (TX checksum offload on at the other end: ethtool -K <peer> tx off)"
             % ("rx_partial_csum", partial))


def ifconfig():
    st = _need()
    i = st.iface
    up_ = st.nic.isconnected()
    _say("%s: %s mtu %d" % (getattr(st.dev, "ifname", type(st.dev).__name__),
                             "UP" if up_ else "DOWN", i.ip_mtu))
    for ip in i.ips():
        _say("    inet %s" % ip)
    _say("    ether %s" % _mac(i.mac))
    s = i.stats
    _say("    RX frames %d  TX frames %d  dropped %d" % (s.rx_frames, s.tx_frames, s.drops()))


def capture(seconds, path):
    """Record every frame sent and received for `seconds` into a pcap file
    (tcpdump/wireshark/tshark read it) while running the stack."""
    st = _need()
    from .phy.pcap import PcapWriter
    dev = st.iface.device
    w = PcapWriter(dev, path)
    st.iface.device = w
    try:
        st.net.wait(_never, int(seconds * 1000))
    finally:
        st.iface.device = dev
        w.flush()
        w.stream.close()
    _say("captured %d frames to %s" % (w.frames, path))
    return w.frames


def state():
    """(nic, iface, net, driver) of the interface up() brought up."""
    return _st.nic, _st.iface, _st.net, _st.driver


# --- the REPL and the stack together -------------------------------------------
# On a board, nothing runs the stack between REPL lines unless the REPL itself
# is an asyncio task: interactive() runs micropython-lib's aiorepl beside the
# smolnet.aio driver task, so ARP, ping, TCP and UDP are answered while the
# prompt (-->) waits for a person, as an lwIP port answers them. http() and
# echo() start small servers as tasks of that loop.

def interactive(g=None):
    """Run the REPL (aiorepl, prompt '-->') and the stack together until
    Ctrl-D at that prompt. g: the REPL's globals (default __main__'s)."""
    st = _need()
    import asyncio
    import aiorepl
    if st.driver is None or not st.driver.running:
        _start_driver()

    async def main():
        await aiorepl.task(g)

    asyncio.run(main())


def _task(server):
    import asyncio
    drv = _need().driver
    if drv is None:
        raise OSError(95, "no asyncio driver (a firmware without asyncio)")

    async def run():
        while True:
            server.serve(drv.clock())
            await drv.changed.wait()    # pulsed after every poll

    return asyncio.create_task(run())


def http(port=80, conns=1):
    """Serve a status page (the counters) over HTTP on port, as a task of
    the asyncio loop (interactive() runs it). Returns the task."""
    from .apps.tcpserver import TcpServer
    from .apps.http import HttpHandler
    st = _need()

    def page(method, path):
        if path != "/":
            return None
        d = st.iface.stats.as_dict()
        lines = ["%s %d" % (k, d[k]) for k in d if d[k]]
        return 200, "text/plain", ("smolnet up: %s\n%s\n" % (
            " ".join(st.iface.ips()), "\n".join(lines))).encode()

    return _task(TcpServer(st.iface, port, HttpHandler(page), conns=conns, backlog=conns,
                           rx_size=1024, tx_size=2048))


class _Echo:
    """TCP echo (RFC 862) for TcpServer: what arrives goes back."""

    def __init__(self):
        self.buf = bytearray(512)

    def new_state(self):
        return None

    def open(self, sock, st, now):
        pass

    def step(self, sock, st, now):
        while True:
            n = sock.send_free()
            if n > len(self.buf):
                n = len(self.buf)
            n = sock.recv_into(self.buf, 0, n) if n else 0
            if n <= 0:
                break
            sock.send(self.buf, 0, n)
        if sock.at_eof() and sock.recv_avail() == 0:
            sock.close()

    def counters(self):
        return ""


def echo(port=7, conns=1):
    """TCP echo on port, as a task of the asyncio loop. Returns the task."""
    from .apps.tcpserver import TcpServer
    return _task(TcpServer(_need().iface, port, _Echo(), conns=conns, backlog=conns,
                           rx_size=1024, tx_size=1024))


def mdns(host=None):
    """Answer HOST.local by multicast DNS (smolnet/apps/mdns.py): others find
    the board by name. The NIC runs a responder itself while it has an
    IPv4 address (network.LAN, as the lwIP ports do); this names it HOST
    (network.hostname(HOST)), turns network.mdns() back on, and returns it
    (its .name is the name it got after probing), or None until there is an
    address or when the firmware has no apps or multicast."""
    st = _need()
    network = compat.network
    if host:
        network.hostname(host)
    network.mdns(True)
    r = st.nic.mdns
    if r is not None:
        from .apps.mdns import READY          # loaded already: r is one
        _say("mdns: %s %s" % ("answering" if r.state == READY else "probing for", r.name))
    elif st.iface.ip4() is None:
        _say("mdns: starts when the interface has an IPv4 address")
    else:
        _say("mdns: not in this firmware (it needs the apps and multicast options)")
    return r
