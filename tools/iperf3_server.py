# iperf3-compatible server on smolnet (MicroPython unix port, AF_PACKET):
#
#   micropython tools/iperf3_server.py --iface veth-s --ip 192.0.2.2/24 [--tests N]
#       [--buf BYTES]
#
# then `iperf3 -c 192.0.2.2` (also -R, -P 2) from the kernel side. Prints one
# "iperf3: ..." line per test; exits after N tests (0: runs until killed).
import sys
import asyncio
import smolnet.compat.socket
smolnet.compat.socket.install()
from smolnet import repl  # noqa: E402  (after install(): the stack's socket module)
from smolnet.apps.iperf3 import Iperf3Server, reclaim_vanished  # noqa: E402


def main(argv):
    opts = {"--iface": "veth-s", "--ip": "192.0.2.2/24", "--tests": "0", "--buf": "65536",
            "--port": "5201"}
    i = 0
    while i < len(argv):
        opts[argv[i]] = argv[i + 1]
        i += 2
    nic = repl.up(opts["--iface"], opts["--ip"])
    buf = int(opts["--buf"])
    nic.net.tcp_rx_size = buf
    nic.net.tcp_tx_size = buf
    # a vanished client's connections (and with its control connection the
    # one test slot) are given up within 60 s, as TcpServer's are
    reclaim_vanished(nic.net)
    srv = Iperf3Server(port=int(opts["--port"]), tests=int(opts["--tests"]))
    print("ready")
    try:
        asyncio.run(srv.serve())
    finally:
        repl.netstat()
        repl.stats()


main(sys.argv[1:])
