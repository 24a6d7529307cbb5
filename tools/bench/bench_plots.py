# bench-runtime: cpython
# Plots for people who would rather look than read (issue 12), into
# bench/results/: loss.png, TCP throughput against injected loss (two smolnet
# Interfaces on a Loopback pair on the unix port, tools/benchmark.py
# loopback: smolnet sends and receives, FaultInjector dropping that share of
# frames each way), and tcptrace.png, the time-sequence graph of one lossy
# transfer (tools/tcptrace.py on a pcap smolnet wrote). Figures: the MB/s at
# each loss rate, and the retransmissions of the graphed transfer.
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "bench", "results")
sys.path.insert(0, os.path.join(ROOT, "tools"))

import tcptrace  # noqa: E402

LOSS = (0, 0.5, 1, 2, 5, 10)
SIZE = 3000000


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


def main():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(OUT, exist_ok=True)
    rates = []
    for d in LOSS:
        v = loopback_rate(d)
        rates.append(v)
        emit("plot_loopback_loss_%s" % str(d).replace(".", "_"), "%.2f" % v, "MB/s")
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(LOSS, rates, "o-")
    ax.set_xlabel("frames dropped each way (%)")
    ax.set_ylabel("TCP throughput (MB/s)")
    ax.set_title("smolnet to smolnet, unix port, Loopback pair, %d MB" % (SIZE // 1000000))
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
