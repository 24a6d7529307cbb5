"""The REPL helpers for real: MicroPython's unix port runs `micropython -i`
inside a network namespace behind a pty (socat), mpremote drives its raw
REPL with `resume` (no soft reset, so state survives between commands), and
the helpers talk to the Linux kernel across the veth pair. The assertions
are on what the helpers print. CPython pytest, root only.
"""
import os
import re
import select
import shutil
import subprocess
import sys
import time

import pytest

from netns import (micropython, ROOT, KERNEL_IF, KERNEL_IP, SMOLNET_IF,
                   SMOLNET_IP, PREFIX, pcap_errors, pcap_count, NetnsError)


def mpremote():
    here = os.path.join(os.path.dirname(micropython()), "mpremote")
    if os.access(here, os.X_OK):
        return here
    p = shutil.which("mpremote")
    if p is None:
        pytest.fail("mpremote not found (pip install mpremote; `make setup`)", pytrace=False)
    return p


def _children(pid):
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


class Repl:
    """`micropython -i` on a pty inside the namespace, driven by mpremote."""

    def __init__(self, ns):
        self.ns = ns
        self.tty = ns.path("ttyMP")
        env = dict(os.environ, MICROPYPATH=ROOT + ":.frozen")
        self.proc = ns.spawn("repl", ["socat", "pty,link=%s,raw,echo=0" % self.tty,
                                      "exec:%s -i" % micropython()], env=env)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.tty):
            if time.monotonic() > deadline or not self.proc.running():
                raise NetnsError("socat did not make the pty:\n" + self.proc.output())
            time.sleep(0.02)
        self.mpremote = mpremote()

    def run(self, code, timeout=60):
        r = subprocess.run([self.mpremote, "connect", self.tty, "resume", "exec", code],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=timeout)
        assert r.returncode == 0, "mpremote failed:\n" + r.stdout
        assert "Traceback" not in r.stdout, r.stdout
        return r.stdout.replace("\r\n", "\n")

    def close(self):
        # end the MicroPython process socat started (by pid), then socat
        for pid in _children(self.proc.pid):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        self.ns.stop(self.proc)


def test_repl_helpers_against_the_kernel(netns):
    r = Repl(netns)
    try:
        _session(netns, r)
    finally:
        r.close()


def _session(ns, r):
    kmac = ns.run("cat", "/sys/class/net/%s/address" % KERNEL_IF).stdout.strip()
    smac = ns.run("cat", "/sys/class/net/%s/address" % SMOLNET_IF).stdout.strip()

    out = r.run("from smolnet import repl\nrepl.up(%r, '%s/%d', gw=%r)"
                % (SMOLNET_IF, SMOLNET_IP, PREFIX, KERNEL_IP))
    assert out.strip().split("\n") == [
        "%s up: %s/%d mac %s mtu 1500 gw %s" % (SMOLNET_IF, SMOLNET_IP, PREFIX, smac, KERNEL_IP),
        "note: `import socket` now gives smolnet's socket module"
        " (modules imported before keep the host's)"], out

    out = r.run("repl.ping(%r, 3)" % KERNEL_IP)
    lines = out.strip().split("\n")
    assert lines[0] == "PING %s (%s) 56(84) bytes of data." % (KERNEL_IP, KERNEL_IP), out
    for i in (1, 2, 3):
        assert lines[i].startswith("64 bytes from %s: icmp_seq=%d ttl=64 time=" % (KERNEL_IP, i)), out
    assert lines[4] == "--- %s ping statistics ---" % KERNEL_IP
    assert lines[5].startswith("3 packets transmitted, 3 received, 0% packet loss"), out
    assert lines[6].startswith("rtt min/avg/max/mdev = "), out

    out = r.run("repl.arp()")
    rows = [ln.split() for ln in out.strip().split("\n")]
    assert rows[0] == ["Address", "HWaddress", "Age(s)"]
    assert rows[1][:2] == [KERNEL_IP, kmac], out

    # the kernel pings smolnet while the capture runs
    pinger = ns.spawn("kping", ["ping", "-c", "3", "-i", "0.2", SMOLNET_IP])
    pcap = ns.path("repl.pcap")
    out = r.run("repl.capture(2, %r)" % pcap)
    assert "3 received" in ns.wait(pinger)
    assert out.strip().startswith("captured ") and out.strip().endswith(" frames to " + pcap)
    assert pcap_errors(pcap) == []
    assert pcap_count(pcap, "icmp.type == 8") == 3 and pcap_count(pcap, "icmp.type == 0") == 3

    # the drop-in socket module at the REPL: a datagram from the kernel
    out = r.run("import smolnet.compat.socket as socket\n"
                "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                "s.bind(('0.0.0.0', 5000))\n"
                "repl.netstat()")
    rows = [ln.split() for ln in out.strip().split("\n")]
    assert rows[0][0] == "Proto" and ["udp", "0", "0", "0.0.0.0:5000", "0.0.0.0:*"] in rows, out
    sender = ns.spawn("ksend", [sys.executable, "-c",
                                "import socket, time; time.sleep(0.3); "
                                "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                                "u.bind(('%s', 4000)); u.sendto(b'hello smolnet', ('%s', 5000))"
                                % (KERNEL_IP, SMOLNET_IP)])
    out = r.run("s.settimeout(5)\nprint(s.recvfrom(100))")
    assert out.strip() == "(b'hello smolnet', ('%s', 4000))" % KERNEL_IP, out
    ns.wait(sender)

    out = r.run("repl.stats()")
    d = dict((ln.split()[0], int(ln.split()[1])) for ln in out.strip().split("\n"))
    assert d["icmp_echo_replies"] >= 3 and d["rx_frames"] >= 8 and d["tx_frames"] >= 8, out
    assert d.get("drop_bad_checksum", 0) == 0, out


# --- the README's REPL transcript, typed into the real (friendly) REPL ------

README = os.path.join(ROOT, "README.md")
_MAC = re.compile(r"\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b")
_FLOAT = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")


def readme_transcript():
    """[(input line, [expected output lines])] of the block under README's
    "#### At the REPL"; an expected line "..." stands for any output."""
    with open(README) as f:
        text = f.read()
    block = text.split("#### At the REPL", 1)[1].split("```", 2)[1]
    steps = []
    for line in block.strip("\n").split("\n"):
        if line.startswith(">>> "):
            steps.append((line[4:], []))
        else:
            steps[-1][1].append(line)
    return steps


def normalize(lines):
    """What differs from run to run: MAC addresses, times, counts of frames
    and the neighbor's age."""
    out = []
    for line in lines:
        line = _MAC.sub("<mac>", line)
        line = _FLOAT.sub("<f>", line)
        line = re.sub(r"time \d+ms", "time <n>ms", line)
        line = re.sub(r"captured \d+ frames", "captured <n> frames", line)
        line = re.sub(r"^\d+$", "<n>", line)                  # capture()'s echo
        line = re.sub(r"(<mac>\s+)\d+$", r"\1<n>", line)       # arp's age
        out.append(line.rstrip())
    return out


class FriendlyRepl:
    """`micropython -i` on a pty (socat) in the namespace, typed into line
    by line as a person would: the REPL echoes what expressions return,
    which mpremote's raw REPL does not show."""

    def __init__(self, ns):
        self.ns = ns
        tty = ns.path("ttyREPL")
        env = dict(os.environ, MICROPYPATH=ROOT + ":.frozen")
        self.proc = ns.spawn("friendly", ["socat", "pty,link=%s,raw,echo=0" % tty,
                                          "exec:%s -i" % micropython()], env=env, cwd=ns.dir)
        deadline = time.monotonic() + 10
        while not os.path.exists(tty):
            if time.monotonic() > deadline or not self.proc.running():
                raise NetnsError("socat did not make the pty:\n" + self.proc.output())
            time.sleep(0.02)
        self.fd = os.open(tty, os.O_RDWR | os.O_NOCTTY)
        self.banner = self._until_prompt(10)

    def _until_prompt(self, timeout):
        buf = b""
        deadline = time.monotonic() + timeout
        while not buf.endswith(b">>> "):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no prompt from the REPL; got:\n%r" % buf)
            r, _, _ = select.select([self.fd], [], [], min(left, 0.5))
            if r:
                buf += os.read(self.fd, 4096)
        return buf[:-4].decode().replace("\r\n", "\n")

    def line(self, text, timeout=60):
        """Type one line; the lines it printed (its own echo removed)."""
        os.write(self.fd, text.encode() + b"\r")
        out = self._until_prompt(timeout)
        echo, _, rest = out.partition("\n")
        assert echo == text, (echo, text)
        return rest.split("\n")[:-1] if rest else []

    def close(self):
        os.close(self.fd)
        for pid in _children(self.proc.pid):     # MicroPython, by pid
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        self.ns.stop(self.proc)


def test_readme_repl_transcript_is_what_the_repl_prints(netns):
    # issue 12 item 6: README's "At the REPL" block, line by line; the
    # kernel pings smolnet during the capture so it has frames to count
    steps = readme_transcript()
    assert len(steps) >= 5 and steps[1][0].startswith("repl.up(")
    r = FriendlyRepl(netns)
    try:
        for cmd, expected in steps:
            pinger = None
            if cmd.startswith("repl.capture("):
                pinger = netns.spawn("kping2", ["ping", "-c", "3", "-i", "0.2", SMOLNET_IP])
            got = r.line(cmd)
            if pinger is not None:
                netns.wait(pinger)
            if expected == ["..."]:
                assert got and not [ln for ln in got if "Traceback" in ln], (cmd, got)
                continue
            assert normalize(got) == normalize(expected), (cmd, got, expected)
    finally:
        r.close()
