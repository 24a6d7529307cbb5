"""The drop-in socket module's AF_INET6 against the Linux kernel: MicroPython
scripts on the unix port (`import socket` after smolnet.compat.socket.install(),
smolnet on veth-s through AF_PACKET with 2001:db8::2/64) talk to CPython
programs on the kernel's 2001:db8::1 in a fresh namespace: a TCP client and
a TCP server, UDP both ways, getaddrinfo of literals, and a multicast group
joined with IPV6_JOIN_GROUP that the kernel sends to. The kernel's
end of veth-s has IPv6 disabled (netns.py), so only smolnet answers there.

CPython pytest, root only (see host_tests/netns.py); not a portable module.
"""
import os
import sys

import pytest

from netns import (micropython, ROOT, SMOLNET_IF, SMOLNET_IP, PREFIX,
                   KERNEL_IF, KERNEL_IP6)

pytestmark = pytest.mark.root

SMOLNET_IP6 = "2001:db8::2"

PRELUDE = """
import sys
import smolnet.compat.socket
smolnet.compat.socket.install()
import socket
from smolnet import repl
nic = repl.up(sys.argv[1], sys.argv[2], driver=False)
nic.ipconfig(addr6=sys.argv[3])
"""


def run_mp(ns, name, body, wait_for=None):
    path = ns.path(name + ".py")
    with open(path, "w") as f:
        f.write(PRELUDE + body)
    env = dict(os.environ, MICROPYPATH="%s:.frozen" % ROOT)
    p = ns.spawn(name, [micropython(), path, SMOLNET_IF, "%s/%d" % (SMOLNET_IP, PREFIX),
                        SMOLNET_IP6 + "/64"], env=env)
    if wait_for:
        p.wait_for_output(wait_for, timeout=20)
    return p


KERNEL_TCP_ECHO = """
import socket
srv = socket.socket(socket.AF_INET6)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("%s", 7000))
srv.listen(1)
print("listening", flush=True)
c, peer = srv.accept()
print("peer", peer[0], flush=True)
c.settimeout(20)
while True:
    d = c.recv(65536)
    if not d:
        break
    c.sendall(d)
c.close()
""" % KERNEL_IP6

TCP_CLIENT = """
ai = socket.getaddrinfo("2001:DB8::1", 7000, socket.AF_INET6)
print("ai", ai)
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(ai[0][-1])
print("peer", s.getpeername(), "local", s.getsockname()[0])
data = bytes(range(256)) * 120
s.sendall(data)
got = b""
while len(got) < len(data):
    got += s.recv(4096)
print("echo", len(got), got == data)
s.close()
print("done")
"""


def test_tcp_client_to_a_kernel_server(netns):
    srv = netns.spawn("kecho", [sys.executable, "-c", KERNEL_TCP_ECHO])
    srv.wait_for_output("listening")
    p = run_mp(netns, "tcp6_client", TCP_CLIENT)
    out = netns.wait(p, timeout=30)
    assert "ai [(10, 1, 0, '', ('2001:db8::1', 7000, 0, 0))]" in out, out
    assert "peer ('2001:db8::1', 7000, 0, 0) local 2001:db8::2" in out, out
    assert "echo 30720 True" in out and "done" in out, out
    kout = netns.wait(srv, timeout=10)
    assert "peer 2001:db8::2" in kout, kout


TCP_SERVER = """
L = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
L.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
L.bind(socket.getaddrinfo("::", 7, socket.AF_INET6)[0][-1])
L.listen(1)
print("ready")
c, peer = L.accept()
print("accepted", peer[0], peer[2:], c.getsockname())
c.settimeout(10)
while True:
    line = c.readline()
    if not line:
        break
    c.write(line.upper())
c.close()
L.close()
print("done")
"""

KERNEL_TCP_CLIENT = """
import socket
s = socket.create_connection(("%s", 7), timeout=10)
f = s.makefile("rwb")
for word in (b"hello", b"ipv6", b"x" * 5000):
    f.write(word + b"\\n"); f.flush()
    print(f.readline().strip()[:20].decode())
s.close()
""" % SMOLNET_IP6


def test_tcp_server_the_kernel_connects_to(netns):
    p = run_mp(netns, "tcp6_server", TCP_SERVER, wait_for="ready")
    r = netns.run(sys.executable, "-c", KERNEL_TCP_CLIENT, timeout=30)
    assert r.stdout.split() == ["HELLO", "IPV6", "X" * 20], r.stdout
    out = netns.wait(p, timeout=20)
    assert "accepted 2001:db8::1 (0, 0) ('2001:db8::2', 7, 0, 0)" in out, out
    assert "done" in out, out


UDP_PEER = """
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 5000))
s.settimeout(10)
print("ready")
data, peer = s.recvfrom(2000)
print("from", peer[0], peer[2:], len(data))
s.sendto(data.upper(), peer)
t = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
t.sendto(b"unasked datagram", ("2001:db8::1", 5001, 0, 0))
t.close()
s.close()
print("done")
"""

KERNEL_UDP = """
import socket
r = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
r.bind(("%s", 5001))
r.settimeout(10)
c = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
c.settimeout(10)
c.sendto(b"hello over udp6" * 50, ("%s", 5000))
data, peer = c.recvfrom(2000)
print("echo", data[:15].decode(), len(data), peer[0], peer[1])
data, peer = r.recvfrom(2000)
print("unasked", data.decode(), peer[0])
""" % (KERNEL_IP6, SMOLNET_IP6)


def test_udp_both_ways(netns):
    p = run_mp(netns, "udp6_peer", UDP_PEER, wait_for="ready")
    r = netns.run(sys.executable, "-c", KERNEL_UDP, timeout=30)
    lines = r.stdout.splitlines()
    assert lines == ["echo HELLO OVER UDP6 750 2001:db8::2 5000",
                     "unasked unasked datagram 2001:db8::2"], r.stdout
    out = netns.wait(p, timeout=20)
    assert "from 2001:db8::1 (0, 0) 750" in out and "done" in out, out


MCAST_RECEIVER = """
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 5002))
mreq = socket.inet_pton(socket.AF_INET6, "ff05::db8:1") + bytes(4)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
s.settimeout(10)
print("ready")
for i in range(2):
    data, peer = s.recvfrom(100)
    print("got", data.decode(), peer[0])
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_LEAVE_GROUP, mreq)
s.close()
print("done")
"""

KERNEL_MCAST_SENDER = """
import socket, time
c = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
c.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex("%s"))
for i in range(2):
    c.sendto(b"group %%d" %% i, ("ff05::db8:1", 5002))
    time.sleep(0.1)
""" % KERNEL_IF


def test_multicast_group_joined_with_setsockopt(netns):
    p = run_mp(netns, "mcast6", MCAST_RECEIVER, wait_for="ready")
    netns.run(sys.executable, "-c", KERNEL_MCAST_SENDER, timeout=30)
    out = netns.wait(p, timeout=20)
    assert "got group 0 2001:db8::1" in out and "got group 1 2001:db8::1" in out, out
    assert "done" in out, out
