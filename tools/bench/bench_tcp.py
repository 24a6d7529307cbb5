# bench-runtime: cpython
# TCP benchmarks, smolnet on the MicroPython unix port (tools/benchmark.py,
# tools/server.py) against the Linux kernel over a veth pair in a network
# namespace; this script only orchestrates (CPython: namespaces, processes).
# Figures (one JSON object per line, tools/bench/README.md):
#   tcp_loopback               two Interfaces in one process, MB/s (the
#                              receiver does not check the bytes: stack cost)
#   tcp_loopback_ir_per_mb     instructions per MB of that transfer (valgrind
#                              --tool=callgrind; both ends counted; a 1 MB run
#                              subtracted from a 4 MB run, so start-up and
#                              compilation drop out)
#   tcp_kernel_reads           the kernel reads what smolnet sends, MB/s
#   tcp_kernel_writes          the kernel writes, smolnet reads, MB/s
#   tcp_kernel_veth_reads/writes   kernel to kernel over an identical veth
#                              pair (two namespaces, offloads off): the ceiling
#   tcp_kernel_*_ratio         smolnet's figure over the ceiling
#   tcp_kernel_veth_offloads_reads   the same with the veth's offloads on
#   tcp_kernel_reads/writes_loss1/loss5   through smolnet's FaultInjector at
#                              1% / 5% drop (both directions)
#   tcp_http_connections       HTTP connections served per second by
#                              tools/server.py (connect, GET /, close), with
#                              1 and 4 kernel clients at once
# Needs root, iproute2 and valgrind (make setup). MB = 10**6 bytes.
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "host_tests"))
from netns import (Netns, micropython, ROOT, SMOLNET_IF, SMOLNET_IP,  # noqa: E402
                   KERNEL_IF, PREFIX, NetnsError)

MB = 1000000
CLEAN_BYTES = 40 * MB
LOSS_BYTES = {1: 8 * MB, 5: 3 * MB}
KERNEL_BYTES = 1000 * MB
CONN_SECONDS = 3
BENCH = os.path.join(ROOT, "tools", "benchmark.py")
SERVER = os.path.join(ROOT, "tools", "server.py")


def emit(name, value, unit, **extra):
    d = {"name": name, "value": value, "unit": unit}
    d.update(extra)
    print(json.dumps(d), flush=True)


def log(msg):
    print(msg, flush=True)


def rate(text, mode):
    """MB/s from a 'MODE: N bytes in T ms: R MB/s' line."""
    m = re.search(r"^%s: (\d+) bytes in (\d+) ms: ([\d.]+) MB/s" % re.escape(mode), text, re.M)
    if not m:
        raise RuntimeError("no %s figure in:\n%s" % (mode, text))
    return float(m.group(3))


# --- in one process ----------------------------------------------------------------

def loopback():
    r = subprocess.run([micropython(), BENCH, "loopback", "--no-verify", "-n", str(CLEAN_BYTES)],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    emit("tcp_loopback", rate(r.stdout, "loopback"), "MB/s", bytes=CLEAN_BYTES)


def callgrind_ir(n):
    out = "/tmp/smolnet-bench-callgrind.%d" % os.getpid()
    try:
        r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                            micropython(), BENCH, "loopback", "--no-verify", "-n", str(n),
                            "--timeout", "600"],
                           capture_output=True, text=True, timeout=900, cwd=ROOT)
    finally:
        if os.path.exists(out):
            os.unlink(out)
    m = re.search(r"Collected : (\d+)", r.stderr)
    if r.returncode != 0 or not m:
        raise RuntimeError("callgrind run failed:\n%s\n%s" % (r.stdout, r.stderr[-2000:]))
    return int(m.group(1))


def instructions_per_mb():
    small, big = 1 * MB, 4 * MB
    ir = (callgrind_ir(big) - callgrind_ir(small)) / ((big - small) / MB)
    emit("tcp_loopback_ir_per_mb", int(ir), "instructions/MB")


# --- smolnet against the kernel ----------------------------------------------------------

def smolnet_vs_kernel(ns, mode, size, extra=()):
    """smolnet's benchmark.py MODE (reader: smolnet sends) on the unix port,
    the kernel's client in the namespace; the kernel client's MB/s."""
    args = [micropython(), BENCH, "--iface", SMOLNET_IF, "--ip", "%s/%d" % (SMOLNET_IP, PREFIX),
            "-n", str(size)] + list(extra) + [mode]
    p = ns.spawn("bench-" + mode, args)
    try:
        p.wait_for_output("ready", timeout=20)
        r = ns.run(sys.executable, BENCH, "kernel-" + mode, SMOLNET_IP, "-n", size,
                   timeout=300, check=False)
        out = ns.wait(p, timeout=60)
    finally:
        if p.running():
            ns.stop(p)
    if r.returncode != 0:
        raise RuntimeError("kernel-%s failed:\n%s\n%s" % (mode, r.stdout, out))
    return rate(r.stdout, "kernel-" + mode), out


def kernel_figures():
    figures = {}
    with Netns() as ns:
        for mode, name in (("reader", "tcp_kernel_reads"), ("writer", "tcp_kernel_writes")):
            mbs, out = smolnet_vs_kernel(ns, mode, CLEAN_BYTES)
            figures[mode] = mbs
            emit(name, mbs, "MB/s", bytes=CLEAN_BYTES)
        for pct, size in sorted(LOSS_BYTES.items()):
            for mode, name in (("reader", "tcp_kernel_reads"), ("writer", "tcp_kernel_writes")):
                try:
                    mbs, out = smolnet_vs_kernel(ns, mode, size,
                                                 ["--drop-chance", str(pct), "--seed", "3"])
                except (RuntimeError, NetnsError, subprocess.TimeoutExpired) as e:
                    log("%s at %d%% loss failed: %s" % (mode, pct, e))
                    continue
                m = re.search(r"tcp: (.*)", out)
                emit("%s_loss%d" % (name, pct), mbs, "MB/s", bytes=size,
                     tcp=m.group(1) if m else "")
    return figures


# --- the kernel against itself ----------------------------------------------------------

_OFFLOADS_ON = """
import ctypes, fcntl, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for cmd in (0x17, 0x19, 0x1f, 0x24):   # ETHTOOL_STXCSUM, SSG, STSO, SGSO
    v = ctypes.create_string_buffer(struct.pack("II", cmd, 1))
    ifr = struct.pack("16sP", sys.argv[1].encode(), ctypes.addressof(v))
    fcntl.ioctl(s, 0x8946, ifr)
"""


def kernel_pair():
    """Two namespaces joined by a veth pair: a (veth-k, 192.0.2.1) and b
    (veth-s, 192.0.2.2). Returns (a, b); close both."""
    a = Netns()
    b = Netns()
    try:
        a.create()
        b.create()
        b.run("ip", "link", "del", KERNEL_IF)                # b's own pair goes
        a.run("ip", "link", "set", SMOLNET_IF, "netns", b.name)
        b.run("ip", "addr", "add", "%s/%d" % (SMOLNET_IP, PREFIX), "dev", SMOLNET_IF)
        b.run("ip", "link", "set", SMOLNET_IF, "up")
        b.offloads_off(SMOLNET_IF)
        deadline = time.monotonic() + 5
        while b.run("ping", "-c", 1, "-W", 1, "192.0.2.1", check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise NetnsError("the kernel pair does not answer ping")
    except BaseException:
        b.close()
        a.close()
        raise
    return a, b


def kernel_vs_kernel(a, b, mode, size):
    p = b.spawn("serve-" + mode, [sys.executable, BENCH, "kernel-serve", mode, "-n", str(size)])
    try:
        p.wait_for_output("ready", timeout=20)
        r = a.run(sys.executable, BENCH, "kernel-" + mode, SMOLNET_IP, "-n", size,
                  timeout=300, check=False)
        b.wait(p, timeout=60)
    finally:
        if p.running():
            b.stop(p)
    if r.returncode != 0:
        raise RuntimeError("kernel-%s failed: %s" % (mode, r.stdout))
    return rate(r.stdout, "kernel-" + mode)


def ceiling(smolnet):
    a, b = kernel_pair()
    try:
        for mode, name in (("reader", "reads"), ("writer", "writes")):
            mbs = kernel_vs_kernel(a, b, mode, KERNEL_BYTES)
            emit("tcp_kernel_veth_" + name, mbs, "MB/s", bytes=KERNEL_BYTES)
            if smolnet.get(mode):
                emit("tcp_kernel_%s_ratio" % name, round(smolnet[mode] / mbs, 4),
                     "smolnet/kernel")
        a.run(sys.executable, "-c", _OFFLOADS_ON, KERNEL_IF)
        b.run(sys.executable, "-c", _OFFLOADS_ON, SMOLNET_IF)
        emit("tcp_kernel_veth_offloads_reads", kernel_vs_kernel(a, b, "reader", KERNEL_BYTES),
             "MB/s", bytes=KERNEL_BYTES)
    finally:
        b.close()
        a.close()


# --- connections per second ----------------------------------------------------------------

CONN_CLIENT = r'''
import socket, sys, threading, time
host, seconds, workers = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
done = [0] * workers
bad = [0] * workers
REQ = b"GET / HTTP/1.0\r\n\r\n"
def work(i):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            s = socket.create_connection((host, 80), timeout=5)
            s.sendall(REQ)
            got = b""
            while True:
                d = s.recv(4096)
                if not d:
                    break
                got += d
            s.close()
            if got.startswith(b"HTTP/1.1 200 OK"):
                done[i] += 1
            else:
                bad[i] += 1
        except OSError:
            bad[i] += 1
t0 = time.monotonic()
ts = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
for t in ts: t.start()
for t in ts: t.join()
print("connections %d failed %d seconds %.3f" % (sum(done), sum(bad), time.monotonic() - t0))
'''


def connections():
    with Netns() as ns:
        p = ns.spawn("server", [micropython(), SERVER, "--iface", SMOLNET_IF,
                                "--ip", "%s/%d" % (SMOLNET_IP, PREFIX)])
        try:
            p.wait_for_output("ready", timeout=20)
            for workers in (1, 4):
                r = ns.run(sys.executable, "-c", CONN_CLIENT, SMOLNET_IP, CONN_SECONDS, workers,
                           timeout=CONN_SECONDS + 60, check=False)
                m = re.search(r"connections (\d+) failed (\d+) seconds ([\d.]+)", r.stdout)
                if not m:
                    log("connection client failed: %s" % r.stdout)
                    continue
                n, bad, secs = int(m.group(1)), int(m.group(2)), float(m.group(3))
                emit("tcp_http_connections_%dclient%s" % (workers, "s" if workers > 1 else ""),
                     round(n / secs, 1), "per s", failed=bad)
        finally:
            out = ns.stop(p)
            m = re.search(r"^tcp80: (.*)$", out, re.M)
            log("server: " + (m.group(1) if m else out[-500:]))


def main():
    failed = False
    smolnet = {}
    for part in (loopback, instructions_per_mb, kernel_figures, "ceiling", connections):
        try:
            if part == "ceiling":
                ceiling(smolnet)
            elif part is kernel_figures:
                smolnet = kernel_figures()
            else:
                part()
        except Exception as e:     # one part failing leaves the others' figures
            failed = True
            log("bench_tcp: %s failed: %s: %s" % (
                getattr(part, "__name__", part), type(e).__name__, e))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":     # bench_plots.py borrows smolnet_vs_kernel
    main()
