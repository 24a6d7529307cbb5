# bench-runtime: cpython
# Plots for people who would rather look than read (issue 12), into
# bench/results/: loss.png, TCP throughput against injected loss, smolnet on
# the unix port against the Linux kernel over a veth pair (bench_tcp.py's
# smolnet_vs_kernel: smolnet sending, the kernel reading, and the other way
# round; smolnet's FaultInjector drops that share of the frames it sends and
# receives), beside two smolnet Interfaces on a Loopback pair
# (tools/benchmark.py loopback, both ends smolnet); and tcptrace.png, the
# time-sequence graph of one lossy transfer (tools/tcptrace.py on a pcap
# smolnet wrote). Figures: the MB/s at each loss rate for each curve, and the
# retransmissions of the graphed transfer. Root (namespaces), like bench_tcp.
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "bench", "results")
sys.path.insert(0, os.path.join(ROOT, "tools"))

import tcptrace  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))
from bench_tcp import smolnet_vs_kernel, Netns  # noqa: E402

LOSS = (0, 0.5, 1, 2, 5, 10)
SIZE = 3000000
# bytes per kernel transfer: enough for a steady rate, few enough that the
# lossiest runs end in seconds
KERNEL_SIZE = {0: 20000000, 0.5: 8000000, 1: 8000000, 2: 4000000, 5: 2000000, 10: 1000000}


def emit(name, value, unit):
    print('{"name": "%s", "value": %s, "unit": "%s"}' % (name, value, unit))
    sys.stdout.flush()


def loopback_rate(drop):
    mp = os.environ.get("SMOLNET_MICROPYTHON") or os.path.join(ROOT, ".venv", "bin", "micropython")
    env = dict(os.environ, MICROPYPATH=ROOT)
    r = subprocess.run([mp, os.path.join(ROOT, "tools", "benchmark.py"), "loopback", "-n",
                        str(SIZE), "--drop-chance", str(drop), "--seed", "3"],
                       capture_output=True, text=True, timeout=600, env=env)
    m = re.search(r"loopback: \d+ bytes in \d+ ms: ([\d.]+) MB/s", r.stdout)
    if r.returncode != 0 or not m:
        raise SystemExit("benchmark.py loopback --drop-chance %s failed:\n%s%s"
                         % (drop, r.stdout, r.stderr))
    return float(m.group(1))


def kernel_curves():
    """{'reader': [MB/s at each LOSS], 'writer': [...]}: smolnet sending to
    the kernel (reader mode) and receiving from it (writer mode)."""
    curves = {"reader": [], "writer": []}
    with Netns() as ns:
        for d in LOSS:
            for mode, what in (("reader", "send"), ("writer", "receive")):
                mbs, out = smolnet_vs_kernel(ns, mode, KERNEL_SIZE[d],
                                             ("--drop-chance", str(d), "--seed", "3"))
                curves[mode].append(mbs)
                emit("plot_kernel_%s_loss_%s" % (what, str(d).replace(".", "_")),
                     "%.2f" % mbs, "MB/s")
    return curves


def main():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(OUT, exist_ok=True)
    curves = kernel_curves()
    rates = []
    for d in LOSS:
        v = loopback_rate(d)
        rates.append(v)
        emit("plot_loopback_loss_%s" % str(d).replace(".", "_"), "%.2f" % v, "MB/s")
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(LOSS, curves["reader"], "o-", label="smolnet sends, the kernel receives")
    ax.plot(LOSS, curves["writer"], "s-", label="the kernel sends, smolnet receives")
    ax.plot(LOSS, rates, "^--", label="smolnet to smolnet (Loopback pair)")
    ax.set_xlabel("frames dropped by smolnet's FaultInjector, each way (%)")
    ax.set_ylabel("TCP throughput (MB/s)")
    ax.set_title("TCP through loss, smolnet on the unix port, kernel over veth")
    ax.legend()
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "loss.png"), dpi=90)
    plt.close(fig)
    pcap = os.path.join(OUT, "tcptrace.pcap")
    state = []
    segs, retrans = tcptrace.demo_capture(pcap, size=400000, drop=2, seed=5,
                                          sender_state=state)
    a = tcptrace.analyse(tcptrace.tcp_segments(tcptrace.read_pcap(pcap)))
    tcptrace.draw(a, os.path.join(OUT, "tcptrace.png"),
                  "400 KB through 2%% loss: %d segments, %d retransmitted" % (segs, retrans),
                  state)
    emit("plot_tcptrace_retransmissions", len(a["retrans"]), "segments")
    print("plots: %s, %s" % (os.path.join(OUT, "loss.png"), os.path.join(OUT, "tcptrace.png")))


main()
