"""Real MicroPython firmware (v1.28.0, `make firmware-qemu`) with smolnet
frozen in, booted under qemu-system-arm on both QEMU boards, each with its
port's default heap (140 KiB on the MPS2 AN385, like a real board of its
class), its NIC a TAP in a network namespace; the Linux kernel on the other
end. What the unix-port target runs is in test_interop_kernel.py and
test_interop_tcp.py (targets.py); here is what only a board shows:

- the bring-up lines of firmware/README.md, exactly as written, answer ping;
- a DHCP lease from dnsmasq, then a DNS lookup through the leased server,
  and the LAN's own mDNS responder answering dig for <hostname>.local;
- an asyncio echo server (MicroPython's own asyncio.start_server over
  smolnet's socket module) serving 4 clients at once;
- a requests-style HTTP GET from the board to a kernel server;
- REPL networking: at aiorepl's prompt, left idle, the board answers ping,
  an HTTP GET and a TCP echo, and repl.ping()/repl.netstat() work there.

The SABRE Lite port has no timer: time.ticks_ms() advances by one per 1000
calls of ticks_us/ticks_ms, not with time. Nothing here waits on the board's
clock: the loops on board end on a count or on a character from the host.

CPython pytest, root only; fails (never skips) without QEMU or firmware.
"""
import os
import re
import sys
import time

import pytest

from netns import (kernel_ping, assert_all_answered, KERNEL_IP, SMOLNET_IP, ROOT)
from targets import BOARDS
from test_interop_dnsmasq import start_dnsmasq

pytestmark = pytest.mark.root


@pytest.fixture(params=BOARDS)
def board(request, qemu_boards):
    """(namespace, booted board at its raw REPL), shared by the session."""
    with qemu_boards.lend(request.param) as (ns, b):
        b.soft_reset()      # each test starts with the whole heap free
        yield ns, b


def until_key(body):
    """Code that runs `body` (one statement, indented by the caller's
    string) until the host sends a character: no wall clock on board."""
    return ("import select, sys\n_p = select.poll()\n_p.register(sys.stdin, 1)\n"
            "while not _p.poll(0):\n    %s\nsys.stdin.read(1)\n" % body)


def release(b, timeout=60):
    """End code started with until_key(): a character, then its output."""
    b._send(b"x")
    return b.finish(timeout)


# --- the README's bring-up lines ---------------------------------------------------

def bringup_lines(board):
    """The `nic = ...` cell and the iface line of firmware/README.md's
    bring-up table for this board, as written there."""
    label = {"MPS2_AN385": "MPS2 AN385 / QEMU", "QEMU_SABRELITE": "SABRE Lite / QEMU"}[board]
    with open(os.path.join(ROOT, "firmware", "README.md")) as f:
        text = f.read()
    head = re.search(r"\| `nic = \.\.\.` then `([^`]+)` \|", text).group(1)
    row = re.search(r"^\| %s \| `([^`]+)` \|$" % re.escape(label), text, re.M).group(1)
    return ["from smolnet.iface.interface import Interface", row] + head.split("; ")


def test_readme_bringup_lines_answer_ping(board):
    ns, b = board
    lines = bringup_lines(b.board)
    out = b.exec("\n".join(lines) + "\nprint('up', iface.ips(), nic.mac.hex())")
    assert "up ['192.0.2.50/24']" in out, out
    b.start("import time\n" + until_key("iface.poll(time.ticks_ms())"))
    p = kernel_ping(ns, "192.0.2.50", 5)
    release(b)
    assert_all_answered(p, 5)
    b.exec("nic.close() if hasattr(nic, 'close') else None\ndel iface, nic\n"
           "import gc\ngc.collect()")


# --- DHCP and DNS through dnsmasq ---------------------------------------------------

# `nic` (a network.LAN) up by DHCP from dnsmasq, then a name through the
# leased server; prints the lease, its DNS server and the address resolved
LEASE_AND_LOOKUP = """
nic.active(True)
nic.ipconfig(dhcp4=True)
n = 0
while not nic.isconnected() and n < 20000:
    n += 1
print("lease", nic.ipconfig("addr4"), "dns", nic.ifconfig()[3])
print("resolved", socket.getaddrinfo("smolnet.example", 80)[0][-1])
"""

DHCP_DNS = """
import gc, time
gc.collect()
from smolnet.compat import network
import smolnet.compat.socket as socket
from common import board_nic
network.hostname("qboard")
nic = network.LAN(board_nic(%r, None))
""" + LEASE_AND_LOOKUP + """
print("mdns", nic.mdns.name)
gc.collect()
print("mem_free", gc.mem_free())
print("ready")
""" + until_key("nic.isconnected()%s") + """
print("answered", nic.mdns.queries)
nic.active(False)
print("closed", nic.mdns)
"""


def test_dhcp_lease_and_dns_lookup_from_dnsmasq(board):
    ns, b = board
    dnsmasq = start_dnsmasq(ns, name="dnsmasq-" + b.name)
    try:
        # the SABRE Lite's ticks advance per 1000 calls, not with time: the
        # responder's probe and announce timers (1.75 s) need the loop to
        # turn its clock (see the top of this file)
        kick = "\n    for _ in range(2000): time.ticks_us()" if b.board == "QEMU_SABRELITE" else ""
        b.start(DHCP_DNS % (b.board, kick))
        out = b.read_until("ready", 120, running=True).decode()
    finally:
        log = ns.stop(dnsmasq)
    m = re.search(r"lease \('(192\.0\.2\.\d+)', '255\.255\.255\.0'\) dns (\S+)", out)
    assert m, out + log
    assert 50 <= int(m.group(1).split(".")[-1]) <= 99 and m.group(2) == KERNEL_IP, out
    assert "resolved ('192.0.2.77', 80)" in out, out
    assert "DHCPACK(%s) %s" % (ns.kernel_if, m.group(1)) in log, log
    assert "query[A] smolnet.example" in log, log
    # the LAN answers its hostname by mDNS as the lwIP ports do: dig asks
    # the board's port 5353 (RFC 6762 5.5; early tries meet it probing)
    assert "mdns qboard.local" in out, out
    r = ns.run("dig", "-p", "5353", "+tries=20", "+time=1", "+norecurse", "+short",
               "@" + m.group(1), "qboard.local", "A", timeout=120, check=False)
    out += release(b)
    assert [ln for ln in r.stdout.splitlines() if not ln.startswith(";")] == [m.group(1)], \
        r.stdout
    assert re.search(r"answered [1-9]", out) and "closed None" in out, out


# --- asyncio echo server, 4 clients at once --------------------------------------------

# MicroPython's asyncio.start_server over smolnet's socket module, on port 7,
# until 4 clients have been served (prints "ready <mem_free>" first)
ECHO_SERVER = """
import asyncio, gc
served = [0]

async def echo(reader, writer):
    while True:
        line = await reader.readline()
        if not line:
            break
        writer.write(line)
        await writer.drain()
    served[0] += 1
    writer.close()
    await writer.wait_closed()

async def main():
    # asyncio's own backlog of 5: the socket module's listener makes a slot's
    # TcpSocket (2 KB rings each, about 6 KB on the Cortex-M3) only when a
    # SYN comes and accept() hands it out without making another, so five
    # fit the 140 KiB board beside the LAN's mDNS responder (with every
    # slot made up front they did not: ENOMEM, retried by asyncio for ever)
    await asyncio.start_server(echo, "0.0.0.0", 7)
    gc.collect()
    print("ready", gc.mem_free())
    while served[0] < 4:
        await asyncio.sleep_ms(5)

asyncio.run(main())
print("served", served[0])
"""

ASYNC_ECHO = """
import smolnet.compat.socket
smolnet.compat.socket.install()
from smolnet import repl
from common import board_nic
repl.up(board_nic(%r, None), "192.0.2.2/24")
""" + ECHO_SERVER + """
repl.down()
"""

ECHO_CLIENTS = r"""
import socket, sys, threading
res = {}
def client(k):
    s = socket.create_connection((sys.argv[1], 7), timeout=60)
    got = b""
    for i in range(20):
        line = b"client %d line %d %s\n" % (k, i, b"x" * (k * 97 % 400))
        s.sendall(line)
        while not got.endswith(b"\n"):
            got += s.recv(4096)
        res.setdefault(k, []).append(got == line)
        got = b""
    s.close()
ts = [threading.Thread(target=client, args=(k,)) for k in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(sorted((k, all(v), len(v)) for k, v in res.items()))
"""


def test_asyncio_echo_server_four_clients_at_once(board):
    ns, b = board
    b.start(ASYNC_ECHO % b.board)
    b.read_until("ready", 60, running=True)
    r = ns.run(sys.executable, "-c", ECHO_CLIENTS, SMOLNET_IP, timeout=120)
    assert r.stdout.strip() == str([(k, True, 20) for k in range(4)]), r.stdout
    out = b.finish(60)
    assert "served 4" in out, out


# --- the board as an HTTP client -----------------------------------------------------

HTTP_GET = """
import gc
import smolnet.compat.socket as socket
from smolnet import repl
from common import board_nic
repl.up(board_nic(%r, None), "192.0.2.2/24")

def get(url):
    # what micropython-lib's requests does for a plain-HTTP GET
    _, _, host, path = url.split("/", 3)
    addr = socket.getaddrinfo(host.split(":")[0], int(host.split(":")[1]))[0][-1]
    s = socket.socket()
    s.settimeout(20)
    s.connect(addr)
    s.write(b"GET /%%s HTTP/1.0\\r\\nHost: %%s\\r\\n\\r\\n" %% (path, host))
    f = s.makefile("rb")
    status = f.readline()
    while f.readline() not in (b"\\r\\n", b""):
        pass
    body = f.read()
    s.close()
    return status, body

status, body = get("http://192.0.2.1:8000/hello.txt")
print("status", status)
print("body", body)
repl.down()
"""


def test_board_fetches_from_kernel_http_server(board, tmp_path):
    ns, b = board
    root = tmp_path / "www"
    root.mkdir()
    (root / "hello.txt").write_bytes(b"hello from the kernel's side\n" * 20)
    srv = ns.spawn("http-" + b.name, [sys.executable, "-m", "http.server", "8000",
                                      "--bind", KERNEL_IP, "--directory", str(root)])
    try:
        srv.wait_for_output("Serving HTTP")
        out = b.exec(HTTP_GET % b.board, timeout=120)
    finally:
        ns.stop(srv)
    assert "status b'HTTP/1.0 200 OK\\r\\n'" in out, out
    assert "body %r" % (b"hello from the kernel's side\n" * 20) in out, out


# --- REPL networking ----------------------------------------------------------------

def readme_repl_lines():
    """The >>> and --> lines of README.md's board REPL transcript."""
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    block = re.search(r"```\n(>>> from smolnet import repl\n>>> from boards\.lan9118.*?)```",
                      text, re.S).group(1)
    return [line for line in block.splitlines() if line[:4] in (">>> ", "--> ")]


def test_repl_answers_while_idle_at_aiorepl(board):
    """README's board REPL transcript typed as written (the SABRE Lite with
    its own driver line), with the kernel's traffic while the prompt idles."""
    ns, b = board
    lines = readme_repl_lines()
    assert [x[:4] for x in lines] == [">>> "] * 4 + ["--> "] * 2, lines
    if b.board == "QEMU_SABRELITE":
        lines = [x.replace("from boards.lan9118 import LAN9118",
                           "from boards.nxpenet import NXPENET")
                  .replace("LAN9118()", "NXPENET(base=0x02188000, phy_addr=6)") for x in lines]
    b.friendly()
    try:
        b.type(lines[0][4:])
        b.type(lines[1][4:])
        out = b.type(lines[2][4:])
        assert "up: 192.0.2.2/24" in out, out
        assert lines[3] == ">>> repl.interactive()", lines
        b._send(b"repl.interactive()\r")
        b.read_until(b"--> ", 30)
        # idle at the prompt: the board answers
        p = kernel_ping(ns, SMOLNET_IP, 5)
        assert_all_answered(p, 5)
        b.type(lines[4][4:], prompt=b"--> ")        # repl.http(); repl.echo()
        r = ns.run("curl", "-sS", "--max-time", 20, "http://%s/" % SMOLNET_IP, timeout=30)
        assert r.stdout.startswith("smolnet up: 192.0.2.2/24"), r.stdout
        r = ns.run(sys.executable, "-c",
                   "import socket, sys\n"
                   "s = socket.create_connection((sys.argv[1], 7), timeout=20)\n"
                   "s.sendall(b'echo me' * 100)\n"
                   "got = b''\n"
                   "while len(got) < 700: got += s.recv(1000)\n"
                   "print(got == b'echo me' * 100)\n", SMOLNET_IP, timeout=60)
        assert r.stdout.strip() == "True", r.stdout
        out = b.type(lines[5][4:], 60, prompt=b"--> ")     # repl.ping("192.0.2.1", 3)
        assert "3 packets transmitted, 3 received, 0% packet loss" in out, out
        out = b.type("repl.netstat()", prompt=b"--> ")
        assert re.search(r"tcp .* 0\.0\.0\.0:80 .* LISTEN", out), out
        assert re.search(r"tcp .* 0\.0\.0\.0:7 .* LISTEN", out), out
    finally:
        b._send(b"\x04")                       # leave aiorepl
        b.read_until(b">>> ", 30)
        b.type("repl.down()")
        b._enter_raw()


# --- make qemu-demo -------------------------------------------------------------------

@pytest.mark.parametrize("name", BOARDS)
def test_qemu_demo_runs(name):
    """tools/qemu_demo.py, what `make qemu-demo BOARD=...` runs, end to end."""
    import subprocess
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "qemu_demo.py"), name],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=180)
    assert r.returncode == 0, r.stdout
    out = r.stdout
    assert "up: 192.0.2.2/24" in out and "gw 192.0.2.1" in out, out
    assert "3 packets transmitted, 3 received, 0% packet loss" in out, out   # kernel's ping
    assert out.count("3 packets transmitted, 3 received") == 2, out           # and the board's
    assert "smolnet up: 192.0.2.2/24" in out, out                             # curl
    assert re.search(r"0\.0\.0\.0:80 .* LISTEN", out), out
    assert "namespace deleted" in out, out


# --- mpremote, as a user reaches the board -----------------------------------------

def test_mpremote_reaches_the_repl_and_runs_smolnet(tmp_path):
    """mpremote (PyPI) over QEMU's serial port as a TCP socket
    (`mpremote connect socket://127.0.0.1:PORT`, inside the namespace),
    a script from the host run on the board: smolnet brings the LAN9118 up
    and answers the kernel's ping while the script polls."""
    import subprocess
    from netns import Netns
    from qemu_board import QemuBoard
    script = tmp_path / "up.py"
    script.write_text(
        "import time, gc\n"
        "from smolnet.iface.interface import Interface\n"
        "from boards.lan9118 import LAN9118\n"
        "iface = Interface(LAN9118()); iface.add_ip('192.0.2.2/24')\n"
        "gc.collect(); print('up', iface.ips(), 'free', gc.mem_free())\n"
        "for _ in range(4000):\n"
        "    iface.poll(time.ticks_ms()); time.sleep_ms(1)\n"
        "print('echo replies', iface.stats.icmp_echo_replies)\n")
    mpremote = os.path.join(ROOT, ".venv", "bin", "mpremote")
    with Netns(workdir=str(tmp_path), tap=True) as ns, \
            QemuBoard(ns, "MPS2_AN385", tcp_serial=2222):
        run = subprocess.Popen(ns.cmd(mpremote, "connect", "socket://127.0.0.1:2222",
                                      "run", str(script)),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(1)
        p = kernel_ping(ns, SMOLNET_IP, 3, deadline=3)
        out, _ = run.communicate(timeout=60)
    assert run.returncode == 0, out
    assert "up ['192.0.2.2/24'] free" in out, out
    assert_all_answered(p, 3)
    replies = int(re.search(r"echo replies (\d+)", out).group(1))
    assert replies >= 3, out
