"""The TCP tools without a network: tools/server.py's handlers
(smolnet.apps.tcpserver, smolnet.apps.http) serving a smolnet client on a
Loopback pair, with the bulk phase under micropython.heap_lock on the unix
port (serving allocates nothing per segment); tools/benchmark.py's loopback
mode; the tools' usage errors. No root needed.

CPython pytest that starts the unix port (and CPython) as subprocesses: the
tools live in tools/, which portable tests may not import.
"""
import os
import subprocess
import sys

import pytest

from conftest import ROOT, micropython_bin, micropython_env
from netns import tool_cmd

# Runs on the unix port and on CPython. Prints "ok ..." or raises.
SERVE_SCRIPT = r'''
import sys
sys.path.insert(0, "tools")
import common
import server
from smolnet.apps.tcpserver import TcpServer
from smolnet.apps.http import HttpHandler
from smolnet.socket.tcp import TcpSocket
from smolnet.fast import equal
from netpair import NetPair, IP_B
from support import heap_locked
import time

MB = 1000000
BODY = 24 * MB
REQ = b"GET /bytes/%d HTTP/1.0\r\nHost: x\r\n\r\n" % BODY
LINE = b"hello world\n"
BACK = b"dlrow olleh\n"


class Clients:
    """Four smolnet clients against the four bulk-ish ports; step() moves
    data one poll round, allocating nothing."""

    def __init__(self, p):
        self.p = p
        a = p.a
        self.sink = a.add_socket(TcpSocket(4096, 32768))
        self.fount = a.add_socket(TcpSocket(32768, 4096))
        self.http = a.add_socket(TcpSocket(32768, 4096))
        self.echo = a.add_socket(TcpSocket(4096, 4096))
        self.sink.connect(IP_B, 6971)
        self.fount.connect(IP_B, 6972)
        self.http.connect(IP_B, 80)
        self.echo.connect(IP_B, 6970)
        self.buf = bytearray(8192)
        self.sent = 0          # into the sink
        self.got = 0           # from the fountain
        self.hgot = 0          # from HTTP, head included
        self.head = -1         # HTTP head length, once known
        self.lines_out = 0
        self.lines_in = 0
        self.echo_got = 0
        self.bad = 0
        self.req_sent = False

    def step(self):
        if self.sink.may_send():
            self.sent += common.send_pattern(self.sink, self.sent, 65536)
        n = self.fount.recv_into(self.buf)
        while n > 0:
            if not common.check_pattern(self.buf, n, self.got):
                self.bad += 1
            self.got += n
            n = self.fount.recv_into(self.buf)
        if not self.req_sent and self.http.may_send():
            self.http.send(REQ)
            self.req_sent = True
        n = self.http.recv_into(self.buf)
        while n > 0:
            if self.head >= 0:
                if not common.check_pattern(self.buf, n, self.hgot - self.head):
                    self.bad += 1
            self.hgot += n
            n = self.http.recv_into(self.buf)
        if self.echo.may_send() and self.echo.send_free() >= len(LINE):
            self.echo.send(LINE)
            self.lines_out += 1
        n = self.echo.recv_into(self.buf, 0, len(BACK))
        while n > 0:
            self.echo_got += n
            n = self.echo.recv_into(self.buf, 0, len(BACK))


class Rig:
    def __init__(self):
        self.p = NetPair(slots=64)
        b = self.p.b
        kw = dict(conns=2, backlog=2)
        self.servers = [
            TcpServer(b, 6971, server.Sink(), rx_size=32768, tx_size=2048, **kw),
            TcpServer(b, 6972, server.Fountain(), rx_size=2048, tx_size=32768, **kw),
            TcpServer(b, 80, HttpHandler(server.site), rx_size=2048, tx_size=32768, **kw),
            TcpServer(b, 6970, server.ReverseEcho(), rx_size=2048, tx_size=2048, **kw)]
        self.c = Clients(self.p)

    def run(self, steps):
        p = self.p
        c = self.c
        srv = self.servers
        for _ in range(steps):
            t = p.clock.t
            p.a.poll(t)
            p.b.poll(t)
            for s in srv:
                s.serve(t)
            c.step()
            p.clock.t = time.ticks_add(t, 1)


rig = Rig()
c = rig.c
rig.run(200)                        # handshakes, the HTTP request, warm-up
# from here on the HTTP body is checked too: its head is the one HttpHandler
# sends for this request
assert c.head < 0 and c.hgot > 0
http_head = len(b"HTTP/1.1 200 OK\r\nServer: smolnet\r\nContent-Type: application/octet-stream"
                b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % BODY)
c.head = http_head
c.bad = 0
before = (c.sent, c.got, c.hgot, c.echo_got)
assert min(before[:3]) > 0, before
heap_locked(lambda: rig.run(1000))
after = (c.sent, c.got, c.hgot, c.echo_got)
moved = [a - b for a, b in zip(after, before)]
assert c.bad == 0, c.bad
assert min(moved) > 0, moved
assert moved[0] >= MB and moved[1] >= MB and moved[2] >= MB, moved
# the whole HTTP body arrives, then the server closes
for _ in range(100):
    if c.http.at_eof():
        break
    rig.run(100)
assert c.hgot == http_head + BODY, (c.hgot, http_head + BODY)
assert c.http.at_eof()
assert c.echo_got % len(BACK) == 0 and c.echo_got >= len(BACK)
for s in rig.servers:
    assert s.accepted == 1, s.counters()
print("ok moved under heap_lock:", moved)
'''


def _run(python, script, env=None, timeout=300):
    return subprocess.run([python, "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)


def test_server_handlers_allocate_nothing_per_segment_unix():
    env = micropython_env([os.path.join(ROOT, "tools")])
    r = _run(micropython_bin(), SERVE_SCRIPT, env)
    assert r.returncode == 0 and "ok moved under heap_lock" in r.stdout, r.stdout


def test_server_handlers_cpython():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.path.join(ROOT, "host_tests"),
                                                       os.path.join(ROOT, "tools")]))
    r = _run(sys.executable, SERVE_SCRIPT, env)
    assert r.returncode == 0 and "ok moved" in r.stdout, r.stdout


@pytest.mark.parametrize("python", ["micropython", "cpython"])
def test_benchmark_loopback(python):
    exe = micropython_bin() if python == "micropython" else sys.executable
    for extra in ([], ["--drop-chance", "3", "--seed", "2"]):
        r = subprocess.run(tool_cmd("benchmark", ["loopback", "-n", "1000000"] + extra, exe),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=120, cwd=ROOT)
        assert r.returncode == 0, r.stdout
        assert "loopback: 1000000 bytes in " in r.stdout and "wrong bytes" not in r.stdout, \
            r.stdout


@pytest.mark.parametrize("python", ["micropython", "cpython"])
def test_tcp_tools_usage_errors(python):
    exe = micropython_bin() if python == "micropython" else sys.executable
    cases = [("client", [], "give ADDRESS and PORT"),
             ("client", ["--iface", "lo", "192.0.2.1", "70000"], "PORT must be"),
             ("httpclient", ["--iface", "lo", "192.0.2.1"], "give ADDRESS and URL"),
             ("httpclient", ["--iface", "lo", "192.0.2.1", "https://x/"], "only http://"),
             ("httpclient", ["--iface", "lo", "x.y", "http://x/"], "not an IPv4 address"),
             ("benchmark", [], "give a MODE"),
             ("benchmark", ["sideways"], "unknown MODE sideways"),
             ("benchmark", ["kernel-serve", "up"], "kernel-serve needs reader or writer")]
    for tool, args, msg in cases:
        r = subprocess.run(tool_cmd(tool, args, exe), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=30)
        assert r.returncode == 2 and msg in r.stdout, (tool, args, r.stdout)
    for tool in ("client", "httpclient", "benchmark", "server"):
        r = subprocess.run(tool_cmd(tool, ["--help"], exe), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=30)
        assert r.returncode == 0 and "usage: %s.py" % tool in r.stdout, r.stdout
