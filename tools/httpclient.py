# An HTTP client on smolnet, in the manner of smoltcp's examples/httpclient.rs.
#
#   micropython tools/httpclient.py --iface veth-s --ip 192.0.2.2/24 \
#       192.0.2.1 http://192.0.2.1:8000/file [-o FILE]
#
# Connects to ADDRESS (the URL's host names the Host header only: there is no
# DNS here), sends `GET path HTTP/1.1` with Connection: close, and writes the
# body to stdout or FILE. The body ends at Content-Length, at the end of a
# chunked body, or when the server closes. Messages go to stderr. Exit
# status 0 for a complete 2xx response, 1 otherwise, 2 for usage errors.
import sys
import common
from common import ticks_ms, ticks_diff, MICROPYTHON
from smolnet.socket.tcp import TcpSocket

HEAD_MAX = 8192


def options():
    p = common.Options("httpclient.py", "Fetch an http:// URL from ADDRESS and print the body.",
                       "ADDRESS URL")
    common.add_link_options(p, default_mac=b"\x02\x00\x00\x00\x00\x02",
                            default_ip="192.0.2.3/24")
    p.add("-o", "output", str, None, "write the body to FILE instead of stdout", "FILE")
    p.add("--timeout", "timeout", float, 60, "give up after this many seconds", "S")
    p.add("--buffer", "buffer", int, 65536, "TCP receive buffer", "BYTES")
    return p


def log(msg):
    sys.stderr.write(msg + "\n")


def parse_url(url):
    """http://host[:port][/path] -> (host, port, path); ValueError otherwise."""
    if not url.startswith("http://"):
        raise ValueError("only http:// URLs")
    rest = url[7:]
    i = rest.find("/")
    hostport, path = (rest, "/") if i < 0 else (rest[:i], rest[i:])
    port = 80
    if ":" in hostport:
        hostport, p = hostport.rsplit(":", 1)
        port = int(p)
    if not hostport or not 0 < port < 65536:
        raise ValueError("bad host or port")
    return hostport, port, path


class Output:
    """Writes body bytes from a buffer without slicing it (MicroPython's
    stream write(buf, off, n); a memoryview on CPython)."""

    def __init__(self, path):
        if path:
            self.f = open(path, "wb")
        else:
            self.f = sys.stdout.buffer
        self.path = path
        self.bytes = 0

    def write(self, buf, off, n):
        if MICROPYTHON:
            while n > 0:
                k = self.f.write(buf, off, n)
                off += k
                n -= k
                self.bytes += k
        else:
            self.f.write(memoryview(buf)[off:off + n])
            self.bytes += n

    def close(self):
        if self.path:
            self.f.close()
        else:
            self.f.flush()


class Response:
    """The response parser: the head into a buffer, then the body (plain,
    Content-Length, or chunked) into the Output."""

    def __init__(self, out):
        self.out = out
        self.head = bytearray(HEAD_MAX)
        self.hlen = 0
        self.status = 0
        self.in_body = False
        self.length = -1            # Content-Length, -1: none
        self.chunked = False
        self.chunk_left = 0         # chunked: data bytes left in this chunk
        self.chunk_state = 0        # 0 size line, 1 data, 2 CRLF after data, 3 trailer
        self.line = bytearray(128)  # chunk-size line / trailer line
        self.llen = 0
        self.done = False
        self.error = None

    def feed(self, buf, n):
        """Take n received bytes from buf."""
        off = 0
        if not self.in_body:
            off = self._feed_head(buf, n)
            if off < 0:
                return
        if off < n:
            self._feed_body(buf, off, n - off)

    def _feed_head(self, buf, n):
        h = self.head
        for i in range(n):
            if self.hlen == HEAD_MAX:
                self.error = "response head longer than %d bytes" % HEAD_MAX
                self.done = True
                return -1
            h[self.hlen] = buf[i]
            self.hlen += 1
            k = self.hlen
            if k >= 2 and h[k - 1] == 10 and (h[k - 2] == 10 or
                                              (k >= 3 and h[k - 2] == 13 and h[k - 3] == 10)):
                self._parse_head()
                return i + 1
        return -1

    def _parse_head(self):
        self.in_body = True
        lines = bytes(self.head[:self.hlen]).decode("latin-1").split("\n")
        parts = lines[0].split()
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            self.error = "not an HTTP response: %r" % lines[0]
            self.done = True
            return
        self.status = int(parts[1])
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            name = name.strip().lower()
            value = value.strip()
            if name == "content-length":
                self.length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                self.chunked = True
        if self.chunked:
            self.length = -1
        if self.length == 0:
            self.done = True

    def _feed_body(self, buf, off, n):
        if self.chunked:
            return self._feed_chunked(buf, off, n)
        if self.length >= 0:
            left = self.length - self.out.bytes
            if n > left:
                n = left
        self.out.write(buf, off, n)
        if self.length >= 0 and self.out.bytes >= self.length:
            self.done = True

    def _feed_chunked(self, buf, off, n):
        end = off + n
        while off < end and not self.done:
            st = self.chunk_state
            if st == 1:
                k = end - off
                if k > self.chunk_left:
                    k = self.chunk_left
                self.out.write(buf, off, k)
                off += k
                self.chunk_left -= k
                if self.chunk_left == 0:
                    self.chunk_state = 2
                continue
            c = buf[off]
            off += 1
            if c != 10:
                if self.llen < len(self.line):
                    self.line[self.llen] = c
                    self.llen += 1
                continue
            line = bytes(self.line[:self.llen]).strip()
            self.llen = 0
            if st == 0:             # chunk-size [; ext]
                try:
                    self.chunk_left = int(line.split(b";")[0], 16)
                except ValueError:
                    self.error = "bad chunk size %r" % line
                    self.done = True
                    return
                self.chunk_state = 1 if self.chunk_left else 3
            elif st == 2:           # the CRLF after a chunk's data
                self.chunk_state = 0
            elif not line:          # end of the trailer: the body is complete
                self.done = True

    def complete(self, at_eof):
        """Is the body whole? (At EOF a body without a length ends there.)"""
        if self.error or not self.in_body:
            return False
        if self.done:
            return True
        return at_eof and self.length < 0 and not self.chunked


def main(argv):
    opts = options().parse(argv)
    if len(opts.args) != 2:
        common.fail("httpclient.py", "give ADDRESS and URL (try --help)")
    from smolnet.wire import ipaddr
    try:
        addr = ipaddr.parse4(opts.args[0])
    except ValueError:
        common.fail("httpclient.py", "not an IPv4 address: %s" % opts.args[0])
    try:
        host, port, path = parse_url(opts.args[1])
    except ValueError as e:
        common.fail("httpclient.py", "bad URL %s: %s" % (opts.args[1], e))
    common.install_sigterm()
    link = common.Link(opts, "httpclient.py", default_mac=b"\x02\x00\x00\x00\x00\x02")
    iface = common.make_interface(opts, link)
    sock = iface.add_socket(TcpSocket(opts.buffer, 2048))
    sock.connect(addr, port)
    hosthdr = host if port == 80 else "%s:%d" % (host, port)
    req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: smolnet-httpclient\r\n"
           "Accept: */*\r\nConnection: close\r\n\r\n" % (path, hosthdr)).encode()
    out = Output(opts.output)
    resp = Response(out)
    buf = bytearray(16384)
    loop = common.Loop(iface, link)
    start = ticks_ms()
    limit = int(opts.timeout * 1000)
    sent = 0
    ok = False
    try:
        while True:
            loop.step(100)
            if sent < len(req) and sock.may_send():
                sent += sock.send(req, sent, len(req) - sent)
            while not resp.done:
                try:
                    n = sock.recv_into(buf)
                except OSError:     # reset: sock.error says why
                    n = 0
                if n <= 0:
                    break
                resp.feed(buf, n)
            if resp.done or sock.at_eof() or sock.state == 0:
                ok = resp.complete(sock.at_eof())
                break
            if ticks_diff(ticks_ms(), start) >= limit:
                log("httpclient: timed out (%s, %d body bytes)" % (sock.state_name(), out.bytes))
                break
    except KeyboardInterrupt:
        pass
    if sock.error:
        log("httpclient: connection failed: errno %d" % sock.error)
    if resp.error:
        log("httpclient: " + resp.error)
    # close our side; a peer that already closed gets the last ACK
    if sock.state in (4, 7):        # ESTABLISHED, CLOSE-WAIT
        sock.close()
    t = ticks_ms()
    while sock.state not in (0, 10) and ticks_diff(ticks_ms(), t) < 500:
        loop.step(50)
    if sock.state not in (0, 10):
        sock.abort()
    for _ in range(5):
        iface.poll(ticks_ms())
    out.close()
    ms = ticks_diff(ticks_ms(), start)
    log("httpclient: HTTP %d, %d body bytes in %d ms%s" % (
        resp.status, out.bytes, ms, "" if ok else " (incomplete)"))
    log(common.stats_line(iface))
    for line in link.counters():
        log(line)
    link.close()
    sys.exit(0 if ok and 200 <= resp.status < 300 else 1)


if __name__ == "__main__":
    main(sys.argv[1:])
