"""Real applications over smolnet, unchanged, on MicroPython's unix port,
against the Linux kernel in a network namespace (smolnet on veth-s through
AF_PACKET; the kernel on veth-k): MicroPython's own asyncio echo server and
client, microdot served to curl, bg-urequests fetching from python3's
http.server, aiomqttc publishing and subscribing through mosquitto.

Each app is a plain MicroPython script with a short prelude: put
smolnet.compat.socket in sys.modules as `socket`/`usocket` (install()) and bring the interface
up with smolnet.repl.up (which also creates the smolnet.aio driver task).
The third-party libraries come from PyPI (pinned below) into a directory on
MICROPYPATH. CPython pytest, root only.
"""
import os
import sys

import pytest

from netns import (micropython, ROOT, KERNEL_IP, SMOLNET_IF,
                   SMOLNET_IP, PREFIX)

def mplib():
    """Directory holding the MicroPython libraries from PyPI
    (requirements-mplib.txt): $SMOLNET_MPLIB or .venv/mplib, which
    `make setup` fills."""
    d = os.environ.get("SMOLNET_MPLIB") or os.path.join(ROOT, ".venv", "mplib")
    for need in ("microdot", "aiomqttc.py", "urequests"):
        if not os.path.exists(os.path.join(d, need)):
            pytest.fail("%s is missing from %s: run `make setup` (requirements-mplib.txt)"
                        % (need, d), pytrace=False)
    return d


PRELUDE = """
import sys
import smolnet.compat.socket
smolnet.compat.socket.install()     # sys.modules["socket"] = sys.modules["usocket"] = it
from smolnet import repl
repl.up(sys.argv[1], sys.argv[2])
"""


def run_app(ns, name, body, wait_for="ready", extra_path=None):
    """Start `body` (after the prelude) on MicroPython inside the namespace."""
    path = ns.path(name + ".py")
    with open(path, "w") as f:
        f.write(PRELUDE + body)
    mp_path = "%s:%s:.frozen" % (ROOT, mplib())
    if extra_path:
        mp_path = extra_path + ":" + mp_path
    env = dict(os.environ, MICROPYPATH=mp_path)
    p = ns.spawn(name, [micropython(), path, SMOLNET_IF, "%s/%d" % (SMOLNET_IP, PREFIX)],
                 env=env)
    if wait_for:
        p.wait_for_output(wait_for, timeout=20)
    return p


def kernel_py(ns, code, timeout=30):
    """CPython code run by the kernel side (inside the namespace)."""
    return ns.run(sys.executable, "-c", code, timeout=timeout).stdout


ECHO_SERVER = """
import asyncio

async def echo(reader, writer):
    while True:
        line = await reader.readline()
        if not line:
            break
        writer.write(line.upper())
        await writer.drain()
    writer.close()
    await writer.wait_closed()

async def main():
    await asyncio.start_server(echo, "0.0.0.0", 7)
    print("ready")
    await asyncio.sleep(60)

asyncio.run(main())
"""

KERNEL_ECHO_CLIENT = """
import socket
s = socket.create_connection(("%s", 7), timeout=10)
f = s.makefile("rwb")
for word in (b"hello", b"smolnet", b"x" * 5000):
    f.write(word + b"\\n"); f.flush()
    print(f.readline().strip()[:20].decode())
s.close()
""" % SMOLNET_IP


def test_asyncio_echo_server(netns):
    p = run_app(netns, "echo_server", ECHO_SERVER)
    out = kernel_py(netns, KERNEL_ECHO_CLIENT)
    assert out.split() == ["HELLO", "SMOLNET", "X" * 20], out
    netns.stop(p)


KERNEL_ECHO_SERVER = """
import socket, threading
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("%s", 7000))
srv.listen(1)
print("listening", flush=True)
c, _ = srv.accept()
c.settimeout(20)
while True:
    d = c.recv(65536)
    if not d:
        break
    c.sendall(d)
c.close()
""" % KERNEL_IP

ECHO_CLIENT = """
import asyncio

async def main():
    reader, writer = await asyncio.open_connection("%s", 7000)
    for i in range(3):
        writer.write(b"line %%d\\n" %% i)
        await writer.drain()
        print((await reader.readline()).decode().strip())
    writer.write(bytes(30000))
    await writer.drain()
    got = await reader.readexactly(30000)
    print("bulk", len(got))
    writer.close()
    await writer.wait_closed()
    print("done")

asyncio.run(main())
""" % KERNEL_IP


def test_asyncio_open_connection_client(netns):
    srv = netns.spawn("kecho", [sys.executable, "-c", KERNEL_ECHO_SERVER])
    srv.wait_for_output("listening")
    p = run_app(netns, "echo_client", ECHO_CLIENT, wait_for=None)
    out = netns.wait(p, timeout=30)
    assert "line 0\nline 1\nline 2\nbulk 30000\ndone" in out, out
    netns.wait(srv, timeout=10)


MICRODOT = """
from microdot import Microdot

app = Microdot()

@app.route("/")
async def index(request):
    return "hello from microdot over smolnet"

@app.route("/json")
async def js(request):
    return {"n": 42, "path": request.path}

@app.post("/echo")
async def echo(request):
    return request.body

print("ready")
app.run(host="0.0.0.0", port=80)
"""


def test_microdot_served_to_curl(netns):
    p = run_app(netns, "microdot_app", MICRODOT)
    base = "http://%s" % SMOLNET_IP
    r = netns.run("curl", "-sS", "--max-time", "10", base + "/")
    assert r.stdout == "hello from microdot over smolnet", r.stdout
    r = netns.run("curl", "-sS", "--max-time", "10", base + "/json")
    import json
    assert json.loads(r.stdout) == {"n": 42, "path": "/json"}, r.stdout
    body = "x" * 3000
    r = netns.run("curl", "-sS", "--max-time", "10", "--data-binary", body, base + "/echo")
    assert r.stdout == body
    r = netns.run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                  base + "/missing", check=False)
    assert r.stdout == "404"
    netns.stop(p)


URLFETCH = """
import urequests
r = urequests.get(urequests.URL("http", "%s", 8000, "hello.txt"))
print("status", r.status)
print("text", r.text)
r = urequests.get(urequests.URL("http", "%s", 8000, "big.txt"))
print("big", len(r.content))
""" % (KERNEL_IP, KERNEL_IP)


def test_bg_urequests_from_http_server(netns):
    www = netns.path("www")
    os.mkdir(www)
    with open(os.path.join(www, "hello.txt"), "w") as f:
        f.write("hello, smolnet")
    with open(os.path.join(www, "big.txt"), "w") as f:
        f.write("0123456789abcdef" * 3200)
    srv = netns.spawn("httpd", [sys.executable, "-u", "-m", "http.server", "8000", "--bind",
                                KERNEL_IP, "--directory", www])
    srv.wait_for_output("Serving HTTP")
    p = run_app(netns, "urlfetch", URLFETCH, wait_for=None)
    out = netns.wait(p, timeout=30)
    assert "status 200\ntext hello, smolnet\nbig 51200" in out, out
    netns.stop(srv)


# The unix port is not a board: aiomqttc's log() reads machine.RTC, which
# the unix port's machine module lacks, and its `except TimeoutError:`
# needs the builtin MicroPython leaves out. Both are provided around the
# library (a machine.py extending the built-in module, a builtins entry);
# the library itself is used as installed.
MACHINE_SHIM = """
from umachine import *


class RTC:
    def datetime(self):
        import time
        t = time.gmtime()
        return (t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0)
"""

MQTT = """
import asyncio
import builtins
builtins.TimeoutError = asyncio.TimeoutError
from aiomqttc import MQTTClient

got = []

async def on_message(client, topic, payload, retain):
    got.append((topic, payload))

async def main():
    c = MQTTClient(client_id="smolnet-test", server="%s", port=1883, keepalive=30)
    c.on_message = on_message
    ok = await c.connect()
    print("connected", ok)
    await c.subscribe("smolnet/in", qos=0)
    print("ready")
    for _ in range(200):
        if got:
            break
        await asyncio.sleep_ms(50)
    print("received", got)
    await c.publish("smolnet/out", "hello from smolnet", qos=1)
    await asyncio.sleep_ms(500)
    await c.disconnect()
    print("done")

asyncio.run(main())
""" % KERNEL_IP


def test_aiomqttc_with_mosquitto(netns):
    conf = netns.path("mosquitto.conf")
    with open(conf, "w") as f:
        f.write("listener 1883 %s\nallow_anonymous true\n" % KERNEL_IP)
    broker = netns.spawn("mosquitto", ["mosquitto", "-c", conf, "-v"])
    broker.wait_for_output("running")
    sub = netns.spawn("sub", ["mosquitto_sub", "-h", KERNEL_IP, "-t", "smolnet/out", "-C", "1",
                              "-W", "30"])
    shim = netns.path("shim")
    os.mkdir(shim)
    with open(os.path.join(shim, "machine.py"), "w") as f:
        f.write(MACHINE_SHIM)
    p = run_app(netns, "mqtt_app", MQTT, extra_path=shim)
    netns.run("mosquitto_pub", "-h", KERNEL_IP, "-t", "smolnet/in", "-m", "hello smolnet")
    out = netns.wait(p, timeout=40)
    assert "connected True" in out, out
    assert "received [('smolnet/in', " in out and "hello smolnet" in out, out
    assert "done" in out, out
    assert netns.wait(sub, timeout=30).strip() == "hello from smolnet"
    netns.stop(broker)


# --- the examples of README.md, exactly as written ------------------------

def using_example(name):
    """The ```python block after `<!-- example: name -->` in README.md."""
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    i = text.index("<!-- example: %s -->" % name)
    start = text.index("```python\n", i) + len("```python\n")
    return text[start:text.index("```", start)]


def run_example(ns, name, wait_for=None):
    path = ns.path(name + ".py")
    with open(path, "w") as f:
        f.write(using_example(name))
    env = dict(os.environ, MICROPYPATH="%s:.frozen" % ROOT)
    p = ns.spawn(name, [micropython(), path], env=env)
    if wait_for:
        p.wait_for_output(wait_for, timeout=20)
    return p


def test_readme_socket_client(netns):
    www = netns.path("www")
    os.mkdir(www)
    with open(os.path.join(www, "hello.txt"), "w") as f:
        f.write("hello, smolnet")
    srv = netns.spawn("httpd", [sys.executable, "-u", "-m", "http.server", "8000", "--bind",
                                KERNEL_IP, "--directory", www])
    srv.wait_for_output("Serving HTTP")
    out = netns.wait(run_example(netns, "socket_client"), timeout=30)
    assert out.startswith("veth-s up: 192.0.2.2/24"), out
    assert "b'HTTP/1.0 200 OK\\r\\n" in out and "\\r\\n\\r\\nhello, smolnet'" in out, out
    netns.stop(srv)


def test_readme_asyncio_echo_server(netns):
    p = run_example(netns, "asyncio_echo_server", wait_for="ready")
    out = kernel_py(netns, KERNEL_ECHO_CLIENT.replace("upper", ""))
    assert out.split() == ["hello", "smolnet", "x" * 20], out
    netns.stop(p)


def test_readme_aio_udp_echo(netns):
    p = run_example(netns, "aio_udp_echo", wait_for="ready")
    out = kernel_py(netns, "import socket\n"
                           "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                           "u.settimeout(5)\n"
                           "u.sendto(b'udp over smolnet', ('%s', 5005))\n"
                           "print(u.recvfrom(100))\n" % SMOLNET_IP)
    assert out.strip() == "(b'UDP OVER SMOLNET', ('%s', 5005))" % SMOLNET_IP, out
    netns.stop(p)


# --- iperf3: the real client against smolnet's server ---------------------------

def _iperf3(ns, *args, timeout=60):
    import json
    r = ns.run("iperf3", "-c", SMOLNET_IP, "-t", "3", "-J", *args, timeout=timeout, check=False)
    try:
        return json.loads(r.stdout)
    except ValueError:
        raise AssertionError("iperf3 %s failed:\n%s" % (" ".join(args), r.stdout))


def _iperf3_server(ns, tests):
    env = dict(os.environ, MICROPYPATH="%s:.frozen" % ROOT)
    p = ns.spawn("iperf3_server", [micropython(), os.path.join(ROOT, "tools", "iperf3_server.py"),
                                   "--iface", SMOLNET_IF, "--ip", "%s/%d" % (SMOLNET_IP, PREFIX),
                                   "--tests", str(tests)], env=env)
    p.wait_for_output("ready", timeout=20)
    return p


def _server_bytes(out):
    lines = [ln for ln in out.splitlines() if ln.startswith("iperf3: ")]
    return lines, [int(ln.split("bytes=")[1].split()[0]) for ln in lines]


def test_iperf3_normal_and_parallel(netns):
    p = _iperf3_server(netns, 2)
    client = []
    for args in ((), ("-P", "2")):
        j = _iperf3(netns, *args)
        assert "error" not in j, j.get("error")
        sent = j["end"]["sum_sent"]["bytes"]
        rcvd = j["end"]["sum_received"]["bytes"]
        assert sent > 100000 and rcvd > 100000, (args, sent, rcvd)
        assert len(j["end"]["streams"]) == (2 if args else 1)
        client.append(rcvd)
    out = netns.wait(p, timeout=30)
    lines, server = _server_bytes(out)
    assert lines[0].startswith("iperf3: received streams=1 ") and \
        lines[1].startswith("iperf3: received streams=2 "), out
    # the client reports as received exactly what smolnet counted
    assert server == client, (server, client)


def test_iperf3_reverse(netns):
    # smolnet sends; at TEST_END the client reads its data socket blocking
    # until EOF, so this also checks that the server closes its data stream
    # then (MicroPython's Stream.close() alone would not)
    p = _iperf3_server(netns, 1)
    j = _iperf3(netns, "-R", "--rcv-timeout", "5000", timeout=20)
    assert "error" not in j, j.get("error")
    sent = j["end"]["sum_sent"]["bytes"]
    rcvd = j["end"]["sum_received"]["bytes"]
    out = netns.wait(p, timeout=30)
    lines, server = _server_bytes(out)
    assert lines[0].startswith("iperf3: sent streams=1 "), out
    assert server == [sent] and rcvd >= sent * 95 // 100, (server, sent, rcvd)
