"""smolnet's TCP against the Linux kernel: tools/server.py (smoltcp's server
ports and HTTP), tools/httpclient.py and tools/client.py on the MicroPython
unix port, attached with AF_PACKET to one end of a veth pair in a fresh
namespace; the server tests that take `target` also run against real
firmware on QEMU's boards (host_tests/targets.py: 1 MB where the unix port
moves 10 or 20 MB); curl, `python3 -m http.server` and small Python socket programs
on the kernel's end. Bulk data is compared byte for byte (SHA-256 or the
pattern check), clean and through smolnet's FaultInjector at 5% drop. Every
pcap smolnet writes is validated by tshark (checksums on).

The test pattern: byte i of every generated stream is i % 251 (tools/common.py).

CPython pytest, root only (see host_tests/netns.py); not a portable module.
"""
import hashlib
import os
import re
import sys
import time

import pytest

import netns as _netns
from netns import (start_server, tool_cmd, counters, pcap_errors,
                   pcap_count, KERNEL_IP, SMOLNET_IF, SMOLNET_IP, PREFIX)

pytestmark = pytest.mark.root

MB = 1000000
PERIOD = 251

# The kernel's side: one program, run inside the namespace with a command.
PEER = r'''
import socket, sys, time
PERIOD = 251
BLOCK = bytes(i % PERIOD for i in range(PERIOD * 1000))
cmd, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
args = sys.argv[4:]

def connect():
    return socket.create_connection((host, port), timeout=30)

def read_all(s):
    out = []
    while True:
        d = s.recv(65536)
        if not d:
            return b"".join(out)
        out.append(d)

t0 = time.monotonic()
if cmd == "write":                 # n pattern bytes, then our FIN; wait for theirs
    n = int(args[0])
    s = connect()
    view = memoryview(BLOCK)
    done = 0
    while done < n:
        off = done % PERIOD
        done += s.send(view[off:off + min(n - done, len(BLOCK) - PERIOD)])
    s.shutdown(socket.SHUT_WR)
    rest = read_all(s)
    print("wrote %d, then eof after %d bytes in %.2f s" % (done, len(rest), time.monotonic() - t0))
elif cmd == "read":                # n bytes, checked against the pattern
    n = int(args[0])
    s = connect()
    got = 0
    bad = -1
    buf = bytearray(65536)
    while got < n:
        k = s.recv_into(buf, min(len(buf), n - got))
        if not k:
            break
        off = got % PERIOD
        if bad < 0 and buf[:k] != BLOCK[off:off + k]:
            bad = got
        got += k
    print("read %d bad_at %d in %.2f s" % (got, bad, time.monotonic() - t0))
    s.shutdown(socket.SHUT_WR)     # the fountain answers our FIN with its own
    s.settimeout(5)
    try:
        while s.recv(65536):
            pass
        print("eof")
    except OSError as e:
        print("no eof:", e)
elif cmd == "lines":               # send each arg (with \\n escapes) in turn, close,
    s = connect()                  # print everything that came back
    for a in args:
        s.sendall(a.encode().decode("unicode_escape").encode("latin-1"))
        time.sleep(0.05)
    s.shutdown(socket.SHUT_WR)
    print(repr(read_all(s)))
elif cmd == "hello":               # k connections at once, each reads to EOF
    k = int(args[0])
    socks = [connect() for _ in range(k)]
    out = []
    for s in socks:
        out.append(repr(read_all(s)))
        s.close()
    print(" ".join(out))
elif cmd == "connect":
    try:
        connect()
        print("connected")
    except ConnectionRefusedError:
        print("ECONNREFUSED")
'''


def pattern(n):
    block = bytes(i % PERIOD for i in range(PERIOD * 400))
    out = bytearray()
    while len(out) < n:
        out += block
    return bytes(out[:n])


def sha(data):
    return hashlib.sha256(data).hexdigest()


def peer(ns, cmd, port, *args, timeout=120):
    """Run PEER inside the namespace against smolnet; its stdout."""
    r = ns.run(sys.executable, "-c", PEER, cmd, SMOLNET_IP, port, *args, timeout=timeout,
               check=False)
    assert r.returncode == 0, r.stdout
    return r.stdout


def curl(ns, path, out_name, *extra):
    """curl inside the namespace; (status, bytes) with the body in ns.dir."""
    out = ns.path(out_name)
    r = ns.run("curl", "-sS", "--max-time", 60, "-o", out, "-w", "%{http_code}",
               *extra, "http://%s%s" % (SMOLNET_IP, path), timeout=90, check=False)
    assert r.returncode == 0, r.stdout
    with open(out, "rb") as f:
        return int(r.stdout.strip()), f.read()


def stop_server(ns, server, pcap="server.pcap", lossy=False, target=None):
    """SIGINT the server (Ctrl-C on a board: target); its output, after
    checking it ended cleanly, hit no internal error, and wrote a pcap
    tshark finds clean."""
    if target is not None:
        out, rc = target.stop_server(server)
        assert rc == 0 and "stopped" in out, out
        assert counters(out, "iface").get("drop_internal_error", 0) == 0, out
        for port in (6969, 6970, 6971, 6972, 80):
            c = counters(out, "tcp%d" % port)
            assert c["errors"] == 0 and c["timed_out"] == 0, out
        problems = pcap_errors(target.pcap)
        assert problems == [], "tshark found problems in %s: %s" % (target.pcap, problems)
        return out
    out = ns.stop(server)
    assert server.returncode == 0 and "stopped" in out, out
    assert counters(out, "iface").get("drop_internal_error", 0) == 0, out
    for port in (6969, 6970, 6971, 6972, 80):
        c = counters(out, "tcp%d" % port)
        assert c["errors"] == 0 and c["timed_out"] == 0, out
    assert_clean_pcap(ns, pcap, lossy)
    return out


def assert_clean_pcap(ns, name, lossy=False):
    """tshark finds no error in the pcap (checksums checked). With injected
    loss the pcap, written above the FaultInjector, also holds the segments
    the injector then dropped; their retransmissions (same bytes) repeat
    data tshark's TCP reassembly had already completed, which it reports as
    "New fragment overlaps old data (retransmission?)" (epan/reassemble.c
    says it may be just that). For those pcaps TCP reassembly is off, and so
    is the HTTP dissector: without reassembly it parses each body segment on
    its own, and one that happens to start with CRLF reads as a "Malformed:
    Leading CRLF" message. The checksum checks and every other dissector
    still run."""
    saved = _netns.TSHARK_CHECKS
    if lossy:
        _netns.TSHARK_CHECKS = saved + ["-o", "tcp.desegment_tcp_streams:FALSE",
                                        "--disable-protocol", "http"]
    try:
        problems = pcap_errors(ns.path(name))
    finally:
        _netns.TSHARK_CHECKS = saved
    assert problems == [], "tshark found problems in %s: %s" % (name, problems)


@pytest.fixture(autouse=True)
def _drop_big_files(request, tmp_path):
    """After a passing test, delete the big pcaps and bodies it left in its
    directory (pytest keeps the last runs' directories: tens of MB each);
    a failing test keeps them for a look. (The call phase's failure is
    already counted when teardown runs.)"""
    failed = request.session.testsfailed
    yield
    if request.session.testsfailed != failed:
        return
    for top, dirs, files in os.walk(str(tmp_path)):
        for name in files:
            path = os.path.join(top, name)
            if os.path.getsize(path) > 1000000:
                os.unlink(path)


def timed(label, fn, *args, **kw):
    t = time.monotonic()
    r = fn(*args, **kw)
    print("%s: %.2f s" % (label, time.monotonic() - t))
    return r


# --- HTTP: curl against smolnet ------------------------------------------------

def check_http(ns, size):
    code, page = curl(ns, "/", "index.html")
    assert code == 200 and b"<h1>smolnet</h1>" in page and page.endswith(b"</html>\n"), page
    code, body = timed("curl /bytes/%d" % size, curl, ns, "/bytes/%d" % size, "bytes.bin")
    assert code == 200 and len(body) == size
    assert sha(body) == sha(pattern(size))
    return page


def test_curl_fetches_page_and_10mb(target):
    ns = target.ns
    size = 10 * MB if target.name == "unix" else MB
    server = target.start_server()
    page = check_http(ns, size)
    # HTTP/1.0, HEAD, an empty body, errors
    code, body = curl(ns, "/bytes/1000", "10.bin", "--http1.0")
    assert code == 200 and body == pattern(1000)
    r = ns.run("curl", "-sS", "-I", "--max-time", 10, "http://%s/bytes/123" % SMOLNET_IP)
    # (text mode: CRLF reads as \n)
    assert r.stdout.startswith("HTTP/1.1 200 OK\n"), r.stdout
    assert "\nContent-Length: 123\n" in r.stdout and "\nConnection: close\n" in r.stdout
    assert curl(ns, "/bytes/0", "0.bin") == (200, b"")
    errors = [curl(ns, "/nope", "404.txt"), curl(ns, "/bytes/x", "400.txt"),
              curl(ns, "/", "post.txt", "-X", "POST")]
    assert [e[0] for e in errors] == [404, 400, 405], errors
    out = stop_server(ns, server, target=target)
    http = counters(out, "tcp80")
    assert http["accepted"] == http["requests"] == 8 and http["error_responses"] == 3, out
    assert http["body_bytes"] == len(page) + size + 1000 + sum(len(e[1]) for e in errors), \
        out
    # every segment smolnet sent carries the right checksum (tshark checked);
    # the body went out in full-sized segments (nearly all: no tinygrams);
    # a board's 2 KB send buffer holds one full segment and a 600-byte rest
    per = 1448 if target.name == "unix" else 2048
    assert pcap_count(target.pcap, "tcp.srcport == 80 && tcp.len == 1448") \
        >= size // per * 9 // 10


# --- smoltcp's ports ----------------------------------------------------------------

def test_sink_takes_20mb_and_fountain_gives_20mb(target):
    ns = target.ns
    n = 20 * MB if target.name == "unix" else MB
    server = target.start_server()
    out = timed("%d bytes into 6971" % n, peer, ns, "write", 6971, n)
    assert re.match(r"wrote %d, then eof after 0 bytes" % n, out), out
    out = timed("%d bytes from 6972" % n, peer, ns, "read", 6972, n)
    assert out.startswith("read %d bad_at -1 " % n) and "\neof\n" in out, out
    out = stop_server(ns, server, target=target)
    # byte-exact both ways: the sink saw the pattern, the peer checked it
    assert counters(out, "tcp6971")["bytes"] == n, out
    assert counters(out, "tcp6971")["not_pattern"] == 0, out
    assert counters(out, "tcp6972")["bytes"] >= n, out
    for port in (6971, 6972):
        c = counters(out, "tcp%d" % port)
        assert c["accepted"] == 1 and c["active"] == 0, out


def test_reverse_echo_6970(target):
    ns = target.ns
    server = target.start_server()
    long_line = "x" * 1000 + "y" * 1000   # longer than the 1024-byte line buffer
    out = peer(ns, "lines", 6970, r"hello\n", r"one\ntwo\nthree\n", "par", r"tial\n",
               long_line + r"\n", "end")
    want = (b"olleh\n" + b"eno\nowt\neerht\n"
            + b"laitrap\n"     # "par" waited for the rest of its line
            # 2000 bytes: a reversed 1024-byte piece, then the rest of the line
            + (b"x" * 1000 + b"y" * 24)[::-1] + b"\n" + b"y" * 976 + b"\n"
            + b"dne\n")        # no newline: it comes back when the client closes
    assert out.strip() == repr(want), out
    # the same for a client that sends one unfinished line and closes
    r = ns.run(sys.executable, "-c",
               "import socket\n"
               "s = socket.create_connection(('%s', 6970), timeout=10)\n"
               "s.sendall(b'abc')\n"
               "s.shutdown(socket.SHUT_WR)\n"
               "got = b''\n"
               "while True:\n"
               "    d = s.recv(100)\n"
               "    if not d: break\n"
               "    got += d\n"
               "print(repr(got))\n" % SMOLNET_IP)
    assert r.stdout.strip() == repr(b"cba\n"), r.stdout
    out = stop_server(ns, server, target=target)
    assert counters(out, "tcp6970")["lines"] == 9, out


def test_hello_6969_connection_after_connection(netns):
    ns = netns
    server = start_server(ns, "--conns", "4", "--backlog", "4")
    # 8 at once: 4 served, 4 waiting in the backlog, all get their hello
    out = peer(ns, "hello", 6969, 8)
    assert out.split() == [repr(b"hello\n")] * 8, out
    # then 30 one after the other: the 4 slots are taken back from TIME-WAIT
    for _ in range(30):
        out = peer(ns, "hello", 6969, 1)
        assert out.strip() == repr(b"hello\n"), out
    out = stop_server(ns, server)
    c = counters(out, "tcp6969")
    assert c["accepted"] == 38 and c["reclaimed"] >= 30 and c["syn_dropped"] == 0, out
    # and each connection ended with both FINs: no RST from smolnet
    assert pcap_count(ns.path("server.pcap"), "tcp.srcport == 6969 && tcp.flags.reset == 1") \
        == 0


def test_closed_port_is_refused(target):
    ns = target.ns
    server = target.start_server()
    for port in (7, 6973, 8080):
        assert peer(ns, "connect", port).strip() == "ECONNREFUSED"
    assert peer(ns, "connect", 6971).strip() == "connected"
    out = stop_server(ns, server, target=target)
    assert pcap_count(target.pcap,
                      "ip.src == %s && tcp.flags.reset == 1 && tcp.flags.ack == 1 && "
                      "(tcp.srcport == 7 || tcp.srcport == 6973 || tcp.srcport == 8080)"
                      % SMOLNET_IP) == 3, out


# --- smolnet as the client -------------------------------------------------------------

HTTP_FILE = 6 * MB


def http_server(ns, port=8000):
    """python3 -m http.server on the kernel's address, serving a directory
    with a random file; (Proc, the file's bytes)."""
    d = ns.path("www")
    os.makedirs(d, exist_ok=True)
    data = os.urandom(HTTP_FILE)
    with open(os.path.join(d, "file.bin"), "wb") as f:
        f.write(data)
    p = ns.spawn("http.server", [sys.executable, "-u", "-m", "http.server", "--bind", KERNEL_IP,
                                 str(port)], cwd=d)
    p.wait_for_output("Serving HTTP", timeout=10)
    return p, data


def httpclient(ns, url, out_name, *extra, lossy=False):
    args = ["--iface", SMOLNET_IF, "--ip", "%s/%d" % (SMOLNET_IP, PREFIX),
            "--pcap", ns.path(out_name + ".pcap"), "-o", ns.path(out_name)] + list(extra)
    r = ns.run(*tool_cmd("httpclient", args + [KERNEL_IP, url]), timeout=120, check=False)
    with open(ns.path(out_name), "rb") as f:
        body = f.read()
    assert_clean_pcap(ns, out_name + ".pcap", lossy)
    return r.returncode, body, r.stdout


def test_httpclient_fetches_from_kernel_http_server(netns):
    ns = netns
    hs, data = http_server(ns)
    code, body, log = timed("httpclient %d bytes" % HTTP_FILE, httpclient, ns,
                            "http://%s:8000/file.bin" % KERNEL_IP, "file.bin")
    assert code == 0 and sha(body) == sha(data), log
    assert "HTTP 200, %d body bytes" % HTTP_FILE in log, log
    code, body, log = httpclient(ns, "http://%s:8000/" % KERNEL_IP, "index.html")
    assert code == 0 and b'<a href="file.bin">file.bin</a>' in body, log
    code, body, log = httpclient(ns, "http://%s:8000/missing" % KERNEL_IP, "missing")
    assert code == 1 and "HTTP 404" in log, log
    ns.stop(hs)
    # nobody listening any more: the kernel refuses
    code, body, log = httpclient(ns, "http://%s:8000/" % KERNEL_IP, "refused")
    assert code == 1 and "connection failed: errno 111" in log, log


def test_client_echoes_reversed(netns):
    ns = netns
    listener = ns.spawn("listener", [sys.executable, "-u", "-c", (
        "import socket\n"
        "ls = socket.socket()\n"
        "ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "ls.bind(('%s', 4000))\n"
        "ls.listen(1)\n"
        "print('listening')\n"
        "c, _ = ls.accept()\n"
        "c.settimeout(10)\n"
        "for line in (b'hello\\n', b'abc def\\n'):\n"
        "    c.sendall(line)\n"
        "    print(repr(c.recv(100)))\n"
        "c.shutdown(socket.SHUT_WR)\n"
        "print('eof', repr(c.recv(100)))\n") % KERNEL_IP])
    listener.wait_for_output("listening")
    args = ["--iface", SMOLNET_IF, "--ip", "%s/%d" % (SMOLNET_IP, PREFIX),
            "--pcap", ns.path("client.pcap"), KERNEL_IP, "4000"]
    r = ns.run(*tool_cmd("client", args), timeout=30, check=False)
    assert r.returncode == 0 and "closed" in r.stdout, r.stdout
    out = ns.wait(listener, timeout=10)
    assert out.splitlines()[1:] == [repr(b"olleh\n"), repr(b"fed cba\n"), "eof b''"], out
    assert_clean_pcap(ns, "client.pcap")
    # a port nobody listens on: RST, ECONNREFUSED, exit status 1
    r = ns.run(*tool_cmd("client", args[:-1] + ["4001"]), timeout=30, check=False)
    assert r.returncode == 1 and "ECONNREFUSED" in r.stdout, r.stdout


# --- the same through 5% loss --------------------------------------------------------------

# the same sizes as the clean runs (issue 3): 10 MB over HTTP, 20 MB each way
LOSSY_HTTP = 10 * MB
LOSSY_BULK = 20 * MB


def test_transfers_survive_5_percent_drop(netns):
    ns = netns
    server = start_server(ns, "--drop-chance", "5", "--seed", "11")
    timed("lossy curl", check_http, ns, LOSSY_HTTP)
    out = timed("lossy 6971", peer, ns, "write", 6971, LOSSY_BULK)
    assert out.startswith("wrote %d, then eof after 0 bytes" % LOSSY_BULK), out
    out = timed("lossy 6972", peer, ns, "read", 6972, LOSSY_BULK)
    assert out.startswith("read %d bad_at -1 " % LOSSY_BULK), out
    out = stop_server(ns, server, lossy=True)
    assert counters(out, "tcp6971")["bytes"] == LOSSY_BULK, out
    assert counters(out, "fault")["dropped"] >= 100, out
    # smolnet as the client, dropping 5% of what it sends and receives
    hs, data = http_server(ns)
    code, body, log = timed("lossy httpclient", httpclient, ns,
                            "http://%s:8000/file.bin" % KERNEL_IP, "lossy.bin",
                            "--drop-chance", "5", "--seed", "5", lossy=True)
    assert code == 0 and sha(body) == sha(data), log
    assert counters(log, "fault")["dropped"] >= 50, log
    ns.stop(hs)
