"""One kernel-side interop suite, several smolnet targets.

A test that takes the `target` fixture runs once per target:

  unix            tools/server.py on MicroPython's unix port, AF_PACKET on a
                  veth end in a fresh namespace (host_tests/netns.py)
  MPS2_AN385      the same server.py frozen into real firmware, on QEMU's
  QEMU_SABRELITE  LAN9118 / i.MX 6 ENET, its NIC a TAP in a namespace
                  (host_tests/qemu_board.py); one boot per board for the
                  whole session (paused between its tests), the server
                  started and stopped per test through the raw REPL; the
                  pcap is QEMU's filter-dump

The kernel's side is the same everywhere: KERNEL_IP on the namespace's end,
smolnet at SMOLNET_IP with SERVER_MAC. So a protocol regression shows on
every target. What differs is said by the target: .scale (how many bytes a
bulk test moves: a Cortex-M3 under TCG is slower than the unix port) and
.server_args (the MPS2 AN385 has a 140 KiB heap: smaller buffers, one
connection per port).

The fixtures (target, qemu_boards) reach the test modules as a plugin
(conftest.py's pytest_plugins): one definition, so one boot per board.

CPython pytest, root only.
"""
import contextlib
import os
import time

import pytest

from netns import Netns, NetnsError, check_host, micropython, start_server, SMOLNET_IP, PREFIX

SERVER_MAC = "02:00:00:00:00:01"     # server.py's default, on every target
BOARDS = ("MPS2_AN385", "QEMU_SABRELITE")
TARGETS = ("unix",) + BOARDS

# server.py on a 140 KiB heap: 6 TCP ports x (1 connection + 1 handshake
# slot) x TcpSocket, the two UDP ports and the Interface must fit (11.7 KB
# stay free on the MPS2 AN385; server.py prints it). 1 KB small buffers:
# the reverse echo answers a line in pieces of up to 1024 bytes.
BOARD_SERVER_ARGS = ("--conns", "1", "--backlog", "1", "--tcp-buffer", "2048",
                     "--small", "1024")


class UnixTarget:
    name = "unix"
    scale = 1.0

    def __init__(self, ns):
        self.ns = ns
        self.pcap = ns.path("server.pcap")

    def start_server(self, *args):
        return start_server(self.ns, *args)

    def stop_server(self, server):
        """SIGINT; (output, exit status)."""
        out = self.ns.stop(server)
        return out, server.returncode


class QemuTarget:
    scale = 0.1

    def __init__(self, ns, board, workdir):
        self.ns = ns
        self.board = board
        self.name = board.board
        self.pcap = os.path.join(workdir, "server.pcap")

    def start_server(self, *args):
        argv = ["--board", self.name, "--ip", "%s/%d" % (SMOLNET_IP, PREFIX)]
        argv += list(BOARD_SERVER_ARGS) + [str(a) for a in args]
        self.board.soft_reset()     # the whole heap for the server
        self.board.pcap_start(self.pcap)
        self.board.start("import gc, server\ngc.collect()\nserver.main(%r)" % argv)
        self.board.read_until("ready", 60, running=True)
        return self.board

    def stop_server(self, board):
        """Ctrl-C to the board's server; (output, 0), or BoardError with the
        guest's traceback if it raised."""
        # the kernel's last segments (the ACK of a FIN) may still be on the
        # way to a board loaded down by TCG: let it take them first
        time.sleep(0.5)
        try:
            out = board.stop(60)
        finally:
            board.pcap_stop()
        return out.replace("\r\n", "\n"), 0


class _Boards:
    """The booted boards of a session, each in its own namespace."""

    def __init__(self):
        self.booted = {}

    def get(self, name):
        if name not in self.booted:
            from qemu_board import QemuBoard
            ns = Netns(tap=True)
            ns.create()
            try:
                board = QemuBoard(ns, name)
                board.boot()
            except BaseException:
                ns.close()
                raise
            self.booted[name] = (ns, board)
        return self.booted[name]

    @contextlib.contextmanager
    def lend(self, name):
        """(ns, board) for one test: resumed, at its raw REPL, the kernel's
        neighbors fresh; afterwards code the test left running is stopped
        (a board that does not stop is booted afresh next time) and the
        board paused."""
        ns, board = self.get(name)
        board.resume()
        if board.running:
            board.stop()
        fresh_neighbors(ns)
        yield ns, board
        if board.running:
            try:
                board.stop(30)
            except Exception:
                self.forget(name)
                return
        board.pause()

    def forget(self, name):
        ns, board = self.booted.pop(name)
        board.close()
        ns.close()

    def close(self):
        for ns, board in self.booted.values():
            board.close()
            ns.close()
        self.booted.clear()


def fresh_neighbors(ns):
    """The kernel forgets what the board's earlier tests taught it: the
    same address may come with another MAC now (server.py's, the driver's)."""
    ns.run("ip", "neigh", "flush", "dev", ns.kernel_if)


@pytest.fixture(scope="session")
def qemu_boards():
    boards = _Boards()
    yield boards
    boards.close()


@pytest.fixture(params=TARGETS)
def target(request, tmp_path, qemu_boards):
    """The smolnet target of this run of the test (see the module's
    docstring); fails, never skips, without root, tools or firmware."""
    try:
        check_host()
        if request.param == "unix":
            micropython()
    except NetnsError as e:
        pytest.fail(str(e), pytrace=False)
    if request.param == "unix":
        with Netns(workdir=str(tmp_path)) as ns:
            yield UnixTarget(ns)
        return
    try:
        qemu_boards.get(request.param)
    except (NetnsError, RuntimeError) as e:
        pytest.fail("%s: %s" % (request.param, e), pytrace=False)
    with qemu_boards.lend(request.param) as (ns, board):
        yield QemuTarget(ns, board, str(tmp_path))
