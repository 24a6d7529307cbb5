# A TCP client on smolnet, in the manner of smoltcp's examples/client.rs.
#
#   micropython tools/client.py --iface veth-s --ip 192.0.2.2/24 192.0.2.1 4000
#
# Connects to ADDRESS:PORT and echoes what arrives, reversed: each chunk
# read loses its newlines, is reversed, and goes back with one newline at
# the end (so a line "hello\n" comes back as "olleh\n"). When the peer
# closes, the client closes too and exits. Exit status 0 after a clean
# close, 1 if the connection failed (refused, reset, timed out).
import sys
import common
from common import say, ticks_ms, ticks_diff
from smolnet.socket.tcp import TcpSocket
from smolnet.socket.errno import ECONNREFUSED, ECONNRESET, ETIMEDOUT, EHOSTUNREACH

CHUNK = 1024


def options():
    p = common.Options("client.py", "Connect to ADDRESS:PORT and echo every chunk reversed.",
                       "ADDRESS PORT")
    common.add_link_options(p, default_mac=b"\x02\x00\x00\x00\x00\x02",
                            default_ip="192.0.2.3/24")
    p.add("--local-port", "local_port", int, 0, "our port (0: an ephemeral one)", "N")
    p.add("--timeout", "timeout", float, 0, "give up after this many seconds (0: never)", "S")
    p.add("-q", "quiet", None, None, "no line per chunk")
    return p


class Reverser:
    """Reads chunks, drops their newlines, reverses them and sends them back
    with a newline. Buffers are made once."""

    def __init__(self, sock, quiet):
        self.sock = sock
        self.quiet = quiet
        self.buf = bytearray(CHUNK + 1)
        self.chunks = 0
        self.bytes_in = 0

    def step(self):
        s = self.sock
        while s.recv_avail() and s.may_send():
            n = s.recv_avail()
            if n > CHUNK:
                n = CHUNK
            if s.send_free() < n + 1:
                return              # back-pressure: read on when we can answer
            b = self.buf
            n = s.recv_into(b, 0, n)
            self.bytes_in += n
            k = 0
            for i in range(n):      # drop the newlines in place
                if b[i] != 10:
                    b[k] = b[i]
                    k += 1
            i = 0
            j = k - 1
            while i < j:
                t = b[i]
                b[i] = b[j]
                b[j] = t
                i += 1
                j -= 1
            b[k] = 10
            s.send(b, 0, k + 1)
            self.chunks += 1
            if not self.quiet:
                say("recv %d bytes, sent back %r" % (n, bytes(b[:k + 1])))


def main(argv):
    opts = options().parse(argv)
    if len(opts.args) != 2:
        common.fail("client.py", "give ADDRESS and PORT (try --help)")
    from smolnet.wire import ipaddr
    try:
        addr = ipaddr.parse4(opts.args[0])
        port = int(opts.args[1])
    except ValueError:
        common.fail("client.py", "bad ADDRESS or PORT: %s %s" % tuple(opts.args))
    if not 0 < port < 65536:
        common.fail("client.py", "PORT must be 1..65535")
    common.install_sigterm()
    link = common.Link(opts, "client.py", default_mac=b"\x02\x00\x00\x00\x00\x02")
    iface = common.make_interface(opts, link)
    sock = iface.add_socket(TcpSocket(4096, 4096))
    sock.connect(addr, port, local_port=opts.local_port)
    rev = Reverser(sock, opts.quiet)
    loop = common.Loop(iface, link)
    start = ticks_ms()
    limit = int(opts.timeout * 1000)
    connected = False
    code = 1
    try:
        while True:
            loop.step(100)
            if not connected and sock.is_connected():
                connected = True
                say("connected to %s:%d from port %d" % (opts.args[0], port, sock.local_port))
            rev.step()
            if sock.at_eof() and sock.may_send():
                sock.close()        # the peer is done: so are we
            st = sock.state
            if st == 0 or st == 10:     # CLOSED, TIME-WAIT
                if sock.error:
                    say("error: %s" % errno_name(sock.error))
                else:
                    say("closed")
                    code = 0
                break
            if limit and ticks_diff(ticks_ms(), start) >= limit:
                say("timed out in %s" % sock.state_name())
                sock.abort()
                break
    except KeyboardInterrupt:
        sock.abort()
    for _ in range(10):          # the last ACK or RST
        if not iface.poll(ticks_ms()):
            break
    say("tcp: chunks=%d bytes_in=%d retransmits=%d" % (
        rev.chunks, rev.bytes_in, sock.retransmits))
    say(common.stats_line(iface))
    for line in link.counters():
        say(line)
    link.close()
    sys.exit(code)


ERRNO_NAMES = {ECONNREFUSED: "ECONNREFUSED", ECONNRESET: "ECONNRESET",
               ETIMEDOUT: "ETIMEDOUT", EHOSTUNREACH: "EHOSTUNREACH"}


def errno_name(e):
    return "%s (errno %d)" % (ERRNO_NAMES.get(e, "?"), e)


if __name__ == "__main__":
    main(sys.argv[1:])
