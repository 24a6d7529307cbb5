# An iperf3-compatible server (TCP: normal, reverse -R, parallel -P n) for
# MicroPython's asyncio over smolnet's socket module, so the stock `iperf3 -c`
# client measures smolnet. Protocol (iperf3's own, as its client speaks it):
# the control connection sends a 37-byte cookie; the server answers with
# one-byte states: PARAM_EXCHANGE (client sends length-prefixed JSON
# parameters), CREATE_STREAMS (client opens `parallel` data connections, each
# starting with the cookie), TEST_START + TEST_RUNNING (data flows: client
# to server, or server to client with "reverse"), the client's TEST_END,
# EXCHANGE_RESULTS (JSON both ways, length-prefixed), DISPLAY_RESULTS, and
# the client's IPERF_DONE. Stream ids are 1, 3, 4, ... as iperf3 numbers them.
#
# Closing: in MicroPython's asyncio Stream.close() does nothing, the socket
# is closed by `await wait_closed()` (CPython closes in close()), so every
# stream is ended with _close(), which does both. At TEST_END the data
# streams of a reverse test are closed at once, as iperf3's own server does:
# iperf3 3.12's client then reads its data sockets *blocking* until EOF, so
# a stream left open hangs it.
#
#   import smolnet.compat.socket; smolnet.compat.socket.install()
#   from smolnet.apps.iperf3 import Iperf3Server, reclaim_vanished
#   reclaim_vanished(nic.net)
#   asyncio.run(Iperf3Server().serve())
import asyncio
import json
from time import ticks_ms, ticks_diff

TEST_START = 1
TEST_RUNNING = 2
TEST_END = 4
PARAM_EXCHANGE = 9
CREATE_STREAMS = 10
EXCHANGE_RESULTS = 13
DISPLAY_RESULTS = 14
IPERF_DONE = 16
ACCESS_DENIED = 0xFF          # -1 as a signed byte

_COOKIE_LEN = 37


class _Test:
    def __init__(self, cookie):
        self.cookie = cookie
        self.reverse = False
        self.parallel = 1
        self.blksize = 131072
        self.streams = []            # [id, bytes, writer]
        self.all_here = asyncio.Event()
        self.running = False
        self.t0 = 0
        self.t1 = 0


def reclaim_vanished(net):
    """Make the socket module's TCP sockets of `net` (a compat Net, e.g.
    nic.net) find vanished clients as TcpServer's do: keepalive and a 60 s
    user timeout (apps/tcpserver.py SERVER_OPTIONS), so a client that is
    gone frees its connections, and with its control connection the test
    slot, within 60 s. Call it before the server listens."""
    from .tcpserver import SERVER_OPTIONS
    net.tcp_options.update(dict(SERVER_OPTIONS))


class Iperf3Server:
    def __init__(self, port=5201, host="0.0.0.0", tests=0, log=print, chunk=8192):
        self.port = port
        self.host = host
        self.tests = tests           # stop after this many tests (0: never)
        self.log = log
        self.chunk = chunk
        self.test = None
        self.done = 0
        self.results = []            # (reverse, parallel, bytes, ms) per test
        self.finished = asyncio.Event()

    async def serve(self):
        srv = await asyncio.start_server(self._conn, self.host, self.port)
        self.log("iperf3 server listening on %d" % self.port)
        await self.finished.wait()
        srv.close()
        await srv.wait_closed()

    async def _conn(self, r, w):
        cookie = await r.readexactly(_COOKIE_LEN)
        t = self.test
        if t is None:
            self.test = _Test(cookie)
            try:
                await self._control(self.test, r, w)
            finally:
                self.test = None
            return
        if cookie != t.cookie or len(t.streams) >= t.parallel:
            w.write(bytes([ACCESS_DENIED]))
            await w.drain()
            await _close(w)
            return
        sid = 1 if not t.streams else len(t.streams) + 2
        st = [sid, 0, w]
        t.streams.append(st)
        if len(t.streams) == t.parallel:
            t.all_here.set()
        if t.reverse:
            await self._send(t, st, w)
        else:
            await self._recv(t, st, r)
        await _close(w)

    async def _recv(self, t, st, r):
        buf = bytearray(self.chunk)
        while True:
            n = await r.readinto(buf)
            if n is None:
                continue
            if not n:
                return
            st[1] += n

    async def _send(self, t, st, w):
        while not t.running:
            await asyncio.sleep_ms(1)
        buf = bytes(t.blksize if t.blksize < 65536 else 65536)
        try:
            while t.running:
                w.write(buf)
                await w.drain()
                st[1] += len(buf)
        except OSError:
            pass             # closed under us at TEST_END (EBADF)

    async def _state(self, w, s):
        w.write(bytes([s]))
        await w.drain()

    async def _json_in(self, r):
        n = int.from_bytes(await r.readexactly(4), "big")
        return json.loads(await r.readexactly(n))

    async def _control(self, t, r, w):
        await self._state(w, PARAM_EXCHANGE)
        p = await self._json_in(r)
        t.reverse = bool(p.get("reverse", 0))
        t.parallel = p.get("parallel", 1)
        t.blksize = p.get("len", 131072)
        await self._state(w, CREATE_STREAMS)
        await t.all_here.wait()
        t.running = True
        t.t0 = ticks_ms()
        await self._state(w, TEST_START)
        await self._state(w, TEST_RUNNING)
        s = (await r.readexactly(1))[0]
        t.running = False
        t.t1 = ticks_ms()
        counts = [st[1] for st in t.streams]    # what the results report
        if t.reverse:
            for st in t.streams:
                await _close(st[2])                 # EOF for the client
        if s != TEST_END:
            self.log("iperf3: unexpected state %d" % s)
            return
        await self._state(w, EXCHANGE_RESULTS)
        await self._json_in(r)                      # the client's results
        secs = ticks_diff(t.t1, t.t0) / 1000
        res = {"cpu_util_total": 0, "cpu_util_user": 0, "cpu_util_system": 0,
               "sender_has_retransmits": -1,
               "streams": [{"id": t.streams[i][0], "bytes": counts[i], "retransmits": -1,
                            "jitter": 0, "errors": 0, "omitted_errors": 0, "packets": 0,
                            "omitted_packets": 0, "start_time": 0, "end_time": secs}
                           for i in range(len(counts))]}
        data = json.dumps(res).encode()
        w.write(len(data).to_bytes(4, "big"))
        w.write(data)
        await w.drain()
        await self._state(w, DISPLAY_RESULTS)
        try:
            await r.readexactly(1)                  # IPERF_DONE
        except EOFError:
            pass
        await _close(w)
        total = sum(counts)
        ms = ticks_diff(t.t1, t.t0)
        self.results.append((t.reverse, t.parallel, total, ms))
        self.log("iperf3: %s streams=%d bytes=%d ms=%d kbit/s=%d" % (
            "sent" if t.reverse else "received", t.parallel, total, ms,
            total * 8 // ms if ms else 0))
        self.done += 1
        if self.tests and self.done >= self.tests:
            self.finished.set()


async def _close(w):
    w.close()
    await w.wait_closed()     # MicroPython: this is what closes the socket
