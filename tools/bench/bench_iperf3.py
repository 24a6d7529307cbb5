# iperf3 throughput: the real iperf3 client (Linux kernel, in a network
# namespace) against smolnet's iperf3 server (tools/iperf3_server.py on the
# MicroPython unix port, AF_PACKET on a veth pair). The figure a user would
# quote. Prints one JSON object per test (tools/bench/README.md); needs root,
# iproute2 and iperf3. tools/bench.py runs bench scripts on the unix port:
# there this script hands itself to CPython (namespaces, subprocesses).
import sys

if sys.implementation.name == "micropython":
    import os
    rc = os.system("python3 tools/bench/bench_iperf3.py")
    sys.exit(1 if rc else 0)

import json
import os
import subprocess

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "host_tests"))
from netns import Netns, micropython, ROOT, SMOLNET_IF, SMOLNET_IP, PREFIX

SECONDS = 3


def emit(name, value, unit):
    print('{"name": "%s", "value": %s, "unit": "%s"}' % (name, value, unit), flush=True)


def main():
    with Netns() as ns:
        env = dict(os.environ, MICROPYPATH="%s:.frozen" % ROOT)
        p = ns.spawn("iperf3_server", [micropython(), os.path.join(ROOT, "tools", "iperf3_server.py"),
                                       "--iface", SMOLNET_IF, "--ip", "%s/%d" % (SMOLNET_IP, PREFIX),
                                       "--tests", "0"], env=env)
        p.wait_for_output("ready", timeout=20)
        for label, args in (("iperf3_tcp_rx", []), ("iperf3_tcp_rx_P2", ["-P", "2"]),
                            ("iperf3_tcp_tx_R", ["-R", "--rcv-timeout", "5000"])):
            try:
                r = ns.run("iperf3", "-c", SMOLNET_IP, "-t", str(SECONDS), "-J", *args,
                           timeout=SECONDS + 20, check=False)
            except subprocess.TimeoutExpired:
                print("%s: the client did not finish" % label)
                continue
            try:
                j = json.loads(r.stdout)
                bps = j["end"]["sum_received"]["bits_per_second"]
            except (ValueError, KeyError):
                print("%s failed: %s" % (label, r.stdout[-500:]))
                continue
            emit(label, round(bps / 1e6, 2), "Mbit/s")
        ns.stop(p)


main()
