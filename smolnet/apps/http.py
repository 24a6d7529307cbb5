# A small HTTP/1.x responder, a handler for smolnet.apps.tcpserver: reads
# one request (request line and headers) into a preallocated buffer, asks the
# app for the response, sends the status line, headers and body, then closes
# (Connection: close, so HTTP/1.0 and 1.1 clients both know where the body
# ends; no keep-alive, no request bodies).
#
#   def app(method, path):
#       return 200, "text/plain", b"hi\n"      # or None: 404
#   srv = TcpServer(iface, 80, HttpHandler(app), conns=4)
#
# A body is bytes-like, or a generated body: any object with `size` and
# `send(sock, pos, n)` that queues up to n bytes of the body starting at pos
# into the socket and returns how many it queued (no copy of the whole body
# is ever made). Parsing a request and building the headers allocate a
# little, once per request; moving the body allocates nothing.
from micropython import const

_READ = const(0)      # reading the request head
_HEAD = const(1)      # sending the status line and headers
_BODY = const(2)      # sending the body
_DRAIN = const(3)     # our side closed: discard whatever still arrives

_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            431: "Request Header Fields Too Large", 500: "Internal Server Error",
            505: "HTTP Version Not Supported"}


class _Conn:
    def __init__(self, size):
        self.buf = bytearray(size)
        self.n = 0
        self.phase = _READ
        self.head = b""
        self.pos = 0
        self.body = None
        self.size = 0


class HttpHandler:
    def __init__(self, app, req_size=1024, server="smolnet"):
        self.app = app
        self.req_size = req_size
        self.server = server
        self.requests = 0
        self.error_responses = 0    # responses with status >= 400
        self.body_bytes = 0         # body bytes queued

    def new_state(self):
        return _Conn(self.req_size)

    def open(self, sock, c, now):
        c.n = 0
        c.phase = _READ
        c.head = b""
        c.body = None

    def step(self, sock, c, now):
        if c.phase == _READ:
            self._read(sock, c)
        if c.phase == _HEAD:
            k = sock.send(c.head, c.pos, len(c.head) - c.pos)
            c.pos += k
            if c.pos < len(c.head):
                return
            c.phase = _BODY
            c.pos = 0
        if c.phase == _BODY:
            self._send_body(sock, c)
        if c.phase == _DRAIN:
            while sock.recv_into(c.buf) > 0:
                pass

    def _read(self, sock, c):
        room = len(c.buf) - c.n
        k = sock.recv_into(c.buf, c.n, room) if room > 0 else 0
        if k > 0:                   # -1: nothing waiting
            start = c.n - 3 if c.n > 3 else 0
            c.n += k
            end = _head_end(c.buf, start, c.n)
            if end >= 0:
                self._respond(c, end)
                return
        if c.n == len(c.buf):
            self._error(c, 431)
        elif sock.at_eof() or not sock.may_recv():
            sock.close()            # the client gave up before a whole request
            c.phase = _DRAIN

    def _respond(self, c, end):
        self.requests += 1
        line = bytes(c.buf[:_line_end(c.buf, end)])
        parts = line.split()
        if len(parts) < 2 or len(parts) > 3:
            return self._error(c, 400)
        if len(parts) == 3 and not parts[2].startswith(b"HTTP/1."):
            return self._error(c, 505)
        method = parts[0].decode()
        if method != "GET" and method != "HEAD":
            return self._error(c, 405)
        try:
            r = self.app(method, parts[1].decode())
        except Exception:          # the app's bug: answer, keep serving
            r = (500, "text/plain", b"internal error\n")
        if r is None:
            return self._error(c, 404)
        status, ctype, body = r
        self._start(c, status, ctype, body, method == "HEAD")

    def _error(self, c, status):
        self._start(c, status, "text/plain", "%d %s\n" % (status, _REASONS[status]), False)

    def _start(self, c, status, ctype, body, head_only):
        if isinstance(body, str):
            body = body.encode()
        size = body.size if hasattr(body, "size") else len(body)
        if status >= 400:
            self.error_responses += 1
        c.head = ("HTTP/1.1 %d %s\r\nServer: %s\r\nContent-Type: %s\r\n"
                  "Content-Length: %d\r\nConnection: close\r\n\r\n" % (
                      status, _REASONS.get(status, "Unknown"), self.server, ctype,
                      size)).encode()
        c.body = body
        c.size = 0 if head_only else size
        c.pos = 0
        c.phase = _HEAD

    def _send_body(self, sock, c):
        left = c.size - c.pos
        if left > 0:
            b = c.body
            if hasattr(b, "size"):
                k = b.send(sock, c.pos, left)
            else:
                k = sock.send(b, c.pos, left)
            c.pos += k
            self.body_bytes += k
            if k < left:
                return
        sock.close()
        c.body = None
        c.phase = _DRAIN

    def counters(self):
        return "requests=%d error_responses=%d body_bytes=%d" % (
            self.requests, self.error_responses, self.body_bytes)


def _head_end(b, start, n):
    """Index just past the blank line ending the request head in b[:n] (CRLF
    CRLF, or bare LF LF as RFC 9112 2.2 allows), or -1; scanning from start."""
    i = start
    while i < n:
        if b[i] == 10:
            if i + 1 < n and b[i + 1] == 10:
                return i + 2
            if i + 2 < n and b[i + 1] == 13 and b[i + 2] == 10:
                return i + 3
        i += 1
    return -1


def _line_end(b, n):
    i = 0
    while i < n and b[i] != 10:
        i += 1
    if i > 0 and b[i - 1] == 13:
        i -= 1
    return i
