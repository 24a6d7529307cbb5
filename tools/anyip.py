# smolnet in any-IP mode on a TUN (netstack-smoltcp style): every TCP
# connection and UDP datagram the kernel routes into the TUN reaches smolnet
# whatever its destination address and port, and smolnet answers from that
# original destination. CPython (the TUN device needs /dev/net/tun):
#
#   python3 tools/anyip.py --tun tun0 [--pcap f.pcap]
#   ip link set tun0 up; ip route add 198.51.100.0/24 dev tun0
#   nc 198.51.100.7 8080      -> "you reached 198.51.100.7:8080", then echo
#
# TCP: each connection gets "you reached ADDR:PORT\n" (the address and port
# the client connected to), then everything it sends comes back, until it
# closes (--banner-only: close after the banner). UDP: each datagram gets
# "you reached ADDR:PORT\n" back, sent from ADDR:PORT. Each flow is printed
# ("tcp 192.0.2.1:40000 -> 198.51.100.7:8080"). Prints "ready" once
# listening; runs until SIGINT/SIGTERM (or --duration), then prints counters.
import sys
import common
from common import say, ticks_ms, ticks_diff
from smolnet.wire import ipaddr


def endpoint(addr, alen, port):
    a = ipaddr.fmt(addr, 0, alen)
    return ("[%s]:%d" if alen == 16 else "%s:%d") % (a, port)


def options():
    p = common.Options("anyip.py", "Answer TCP and UDP to any address and port on a TUN.")
    p.add("--tun", "tun", str, None, "create and use this TUN device (CPython)", "IF")
    p.add("--pcap", "pcap", str, None, "write every packet sent and received to FILE", "FILE")
    p.add("--conns", "conns", int, 8, "TCP handshakes queued at once", "N")
    p.add("--banner-only", "banner_only", None, None, "close TCP after the banner (no echo)")
    p.add("--duration", "duration", float, 0,
          "stop after this many seconds (0: run until killed)", "S")
    return p


class Device:
    """The TUN, under a pcap writer if asked: the shape common.Loop wants."""

    def __init__(self, opts):
        from smolnet.phy.tap import Tun
        try:
            self.raw = Tun(opts.tun)
        except OSError as e:
            common.fail("anyip.py", "cannot create TUN %s: %s" % (opts.tun, e), 1)
        self.dev = self.raw
        self.pcap = None
        if opts.pcap:
            from smolnet.phy.pcap import PcapWriter
            self.pcap = PcapWriter(self.raw, open(opts.pcap, "wb", buffering=0),
                                   common._epoch_ms)
            self.dev = self.pcap
        self.name = opts.tun

    def flush(self):
        if self.pcap is not None:
            self.pcap.flush()

    def close(self):
        self.dev.close()


class AnyIp:
    def __init__(self, iface, opts):
        from smolnet.socket.tcp_listen import TcpListener
        from smolnet.socket.udp import UdpSocket
        self.iface = iface
        self.banner_only = opts.banner_only
        self.listener = TcpListener(backlog=opts.conns, rx_size=4096, tx_size=4096,
                                    time_wait=16)
        self.listener.listen(0, any_port=True)
        self.udp = UdpSocket(rx_slots=8, rx_bytes=8192, tx_slots=8, tx_bytes=8192)
        self.udp.bind(0, any_port=True)
        # added last: sockets for given ports (none here) would win ties
        iface.add_socket(self.listener)
        iface.add_socket(self.udp)
        self.conns = []
        self.spares = []        # closed sockets, recycled by accept()
        self.buf = bytearray(2048)
        self.tcp_flows = 0
        self.udp_flows = 0

    def serve(self):
        while True:
            spare = self.spares.pop() if self.spares else None
            s = self.listener.accept(spare)
            if s is None and spare is not None:
                self.spares.append(spare)
            if s is None:
                break
            self.tcp_flows += 1
            dst = endpoint(s.local_addr, s.alen, s.local_port)
            say("tcp %s -> %s" % (endpoint(s.remote_addr, s.alen, s.remote_port), dst))
            s.send(("you reached %s\n" % dst).encode())
            if self.banner_only:
                s.close()
            self.conns.append(s)
        for s in list(self.conns):
            self._tcp(s)
        self._udp()

    def _tcp(self, s):
        if not s.is_open():     # CLOSED, or TIME-WAIT (the listener's records)
            self.iface.remove_socket(s)
            self.conns.remove(s)
            if s.state_name() == "CLOSED" and not s.rst_pending:
                self.spares.append(s)
            return
        # echo what fits in the send buffer (banner-only: read and discard)
        room = s.send_free() if s.may_send() else len(self.buf)
        try:
            n = s.recv_into(self.buf, 0, min(len(self.buf), room))
        except OSError:         # reset by the peer
            return
        if n > 0 and s.may_send():
            s.send(self.buf, 0, n)
        if s.at_eof() and s.may_send():
            s.close()

    def _udp(self):
        u = self.udp
        while True:
            n = u.recv_into(self.buf)
            if n < 0:
                return
            self.udp_flows += 1
            src = endpoint(u.peer_addr, u.peer_alen, u.peer_port)
            dst = endpoint(u.local_addr, len(u.local_addr), u.local_port)
            say("udp %s -> %s %d bytes" % (src, dst, n))
            reply = ("you reached %s\n" % dst).encode()
            if u.can_send(len(reply)):
                u.send_to(reply, len(reply), u.peer_addr, u.peer_port,
                          src=u.local_addr, sport=u.local_port)

    def counters(self):
        return "anyip: tcp_flows=%d udp_flows=%d open=%d syn_dropped=%d udp_rx_dropped=%d" % (
            self.tcp_flows, self.udp_flows, len(self.conns), self.listener.syn_dropped,
            self.udp.rx_dropped)


def report(iface, dev, app):
    say(common.stats_line(iface))
    say(app.counters())
    if dev.pcap is not None:
        say("pcap: frames=%d" % dev.pcap.frames)
    say("device: tx_errors=%d" % dev.raw.tx_errors)


def main(argv):
    opts = options().parse(argv)
    if not opts.tun:
        common.fail("anyip.py", "--tun IF is required")
    if common.MICROPYTHON:
        common.fail("anyip.py", "the TUN device needs CPython")
    common.install_sigterm()
    from smolnet.iface.interface import Interface
    from smolnet.config import Config
    dev = Device(opts)
    iface = Interface(dev.dev, Config(any_ip=True))
    app = AnyIp(iface, opts)
    loop = common.Loop(iface, dev)
    say("smolnet any-IP on %s: TCP and UDP to every address and port" % dev.name)
    say("ready")
    start = ticks_ms()
    dur_ms = int(opts.duration * 1000)
    try:
        while True:
            cap = 1000
            if dur_ms:
                cap = min(cap, max(0, dur_ms - ticks_diff(ticks_ms(), start)))
            loop.step(cap)
            app.serve()
            if dur_ms and ticks_diff(ticks_ms(), start) >= dur_ms:
                break
    except KeyboardInterrupt:
        pass
    for _ in range(4):
        if not iface.poll(ticks_ms()):
            break
    say("stopped")
    report(iface, dev, app)
    dev.close()


if __name__ == "__main__":
    main(sys.argv[1:])
