"""Real MicroPython firmware on an emulated board, driven from the host.

CPython only (root: the board's NIC is a TAP inside a network namespace).
`make firmware-qemu` builds the images (mk/qemu.mk); this module boots one
under qemu-system-arm and talks to its REPL over QEMU's serial port (a Unix
socket), in MicroPython's raw REPL protocol, as mpremote does:

    with Netns(tap=True) as ns, QemuBoard(ns, "MPS2_AN385") as board:
        board.exec("import gc; print(gc.mem_free())")   # -> "139728\\n"
        board.start("import server; server.main([...])")  # runs on...
        board.read_until("ready")
        ...                                   # the kernel talks to it
        out = board.stop()                    # Ctrl-C; all it printed

The NIC is QEMU's model of the board's chip (LAN9118 / i.MX 6 ENET) on the
namespace's persistent TAP (netns.TAP_IF, the kernel's end with KERNEL_IP).
QEMU's monitor (another Unix socket) adds a filter-dump to the NIC while a
test wants a pcap of every frame the board sent and received.

The qemu port has no UART interrupt: Ctrl-C cannot stop running code there.
tools/common.Loop reads it from stdin instead, so stop() works for the
tools; code that never looks at stdin runs until it returns.

A guest traceback raises BoardError with the traceback in its message.
"""
import os
import socket
import time

from netns import ROOT, TAP_IF, Netns, NetnsError

BUILD = os.path.join(ROOT, "build", "qemu")

# board -> (qemu machine arguments, NIC model)
MACHINES = {
    "MPS2_AN385": (["-M", "mps2-an385"], "lan9118"),
    "QEMU_SABRELITE": (["-M", "sabrelite", "-m", "128M"], "imx.enet"),
}
BOARD_MAC = "02:00:00:00:00:02"    # QEMU's NIC address (-nic ...,mac=)


class BoardError(RuntimeError):
    """The guest raised (its traceback is the message), or did not answer."""


def firmware(board, heap=None, variant=None):
    """Path of the board's firmware.elf (variant "profile": the build with
    smolnet's board profile only); NetnsError if `make firmware-qemu` has
    not built it (make test builds it first)."""
    name = board + ("-" + variant if variant else "") + ("-heap%d" % heap if heap else "")
    path = os.path.join(BUILD, name, "firmware.elf")
    if not os.path.isfile(path):
        raise NetnsError("no %s: run `make firmware-qemu%s`"
                         % (path, " QEMU_HEAP=%d" % heap if heap else ""))
    return path


class NoNetwork(Netns):
    """Where a board with no NIC backend runs (benchmarks on a Loopback
    pair inside the guest): Netns's process handling and temporary
    directory, without a namespace (commands run as they are)."""

    def __init__(self):
        import tempfile
        self.name = "no-network"
        self.dir = tempfile.mkdtemp(prefix="smolnet-qemu-")
        self._own_dir = True
        self.procs = []
        self.created = False

    def cmd(self, *args):
        return [str(a) for a in args]


class QemuBoard:
    def __init__(self, ns, board, heap=None, icount=False, name=None, tcp_serial=None,
                 variant=None):
        if board not in MACHINES:
            raise ValueError("board: one of %s" % ", ".join(MACHINES))
        self.ns = ns
        self.board = board
        self.name = name or board.lower()
        self.elf = firmware(board, heap, variant)
        self.icount = icount
        # tcp_serial=PORT: the serial port is a TCP server on 127.0.0.1:PORT
        # inside the namespace, for mpremote (socket://); boot() then leaves
        # it alone
        self.tcp_serial = tcp_serial
        self.serial_path = ns.path(self.name + ".serial")
        self.monitor_path = ns.path(self.name + ".monitor")
        self.proc = None
        self.sock = None
        self.mon = None
        self.buf = b""
        self.transcript = bytearray()   # everything the board printed
        self._dumps = 0
        self.running = False            # code sent by start() has not ended

    # --- lifecycle ----------------------------------------------------------
    def __enter__(self):
        try:
            self.boot()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def boot(self, timeout=30):
        machine, model = MACHINES[self.board]
        args = ["qemu-system-arm"] + machine + [
            "-nographic", "-semihosting", "-kernel", self.elf,
            "-serial", ("tcp:127.0.0.1:%d,server=on,wait=off" % self.tcp_serial
                        if self.tcp_serial else
                        "unix:%s,server=on,wait=off" % self.serial_path),
            "-monitor", "unix:%s,server=on,wait=off" % self.monitor_path]
        if not isinstance(self.ns, NoNetwork):
            args += ["-netdev", "tap,id=n0,ifname=%s,script=no,downscript=no" % TAP_IF,
                     "-net", "nic,netdev=n0,model=%s,macaddr=%s" % (model, BOARD_MAC)]
        if self.icount:
            # the guest clock counts instructions: ticks_us() is a cost
            args += ["-icount", "shift=0"]
        self.proc = self.ns.spawn(self.name, args)
        self.mon = self._connect(self.monitor_path, timeout)
        self._mon_read("(qemu)")
        if self.tcp_serial:
            return
        self.sock = self._connect(self.serial_path, timeout)
        # the friendly REPL's prompt, then the raw REPL for everything else
        self._send(b"\r\n")
        self.read_until(b">>> ", timeout)
        self._enter_raw(timeout)

    def _connect(self, path, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.popen.poll() is not None:
                raise BoardError("qemu exited (%s):\n%s" % (self.proc.popen.returncode,
                                                             self.proc.output()))
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise BoardError("no %s after %ss" % (path, timeout))
                time.sleep(0.05)

    def close(self):
        for s in (self.sock, self.mon):
            if s is not None:
                s.close()
        self.sock = self.mon = None
        if self.proc is not None:
            self.ns.stop(self.proc, sig=15, timeout=5)
            self.proc = None

    # --- serial -------------------------------------------------------------
    def _send(self, data):
        self.sock.sendall(data)

    def read_until(self, marker, timeout=30, running=False):
        """Read until marker (bytes or str); what came before it, as bytes.
        running: the marker is awaited from code start() sent, which must
        not end first (BoardError with its traceback if it does)."""
        if isinstance(marker, str):
            marker = marker.encode()
        deadline = time.monotonic() + timeout
        while marker not in self.buf:
            if running and b"\x04" in self.buf:
                self.buf = self.buf[self.buf.index(b"\x04"):]
                self.buf = self.buf[1:]
                err = self.read_until(b"\x04", 5)
                raise BoardError("%s: the code ended before %r:\n%s\n%s" % (
                    self.board, marker, self.transcript[-3000:].decode(errors="replace"),
                    err.decode(errors="replace")))
            left = deadline - time.monotonic()
            if left <= 0:
                raise BoardError("%s: no %r within %ss; the board printed:\n%s"
                                 % (self.board, marker, timeout,
                                    self.transcript[-3000:].decode(errors="replace")))
            self.sock.settimeout(min(left, 1))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise BoardError("%s: serial port closed; qemu said:\n%s"
                                 % (self.board, self.proc.output() if self.proc else ""))
            self.buf += data
            self.transcript += data
        i = self.buf.index(marker)
        out = self.buf[:i]
        self.buf = self.buf[i + len(marker):]
        return out

    def _enter_raw(self, timeout=10):
        self._send(b"\r\x03\x03\x01")   # interrupt anything, then raw REPL
        self.read_until(b"raw REPL; CTRL-B to exit\r\n>", timeout)

    # --- raw REPL -------------------------------------------------------------
    def start(self, code, timeout=30):
        """Send code to run; returns once the board has taken it (OK)."""
        if isinstance(code, str):
            code = code.encode()
        self.buf = b""
        self._send(code + b"\x04")
        self.read_until(b"OK", timeout)
        self.running = True

    def finish(self, timeout=60):
        """Wait for the code start() sent to end; its output as str.
        BoardError with the guest's traceback if it raised."""
        out = self.read_until(b"\x04", timeout)
        err = self.read_until(b"\x04", timeout)
        self.read_until(b">", timeout)
        self.running = False
        out = out.decode(errors="replace")
        if err:
            raise BoardError("%s raised:\n%s\n(output before it:)\n%s"
                             % (self.board, err.decode(errors="replace"), out[-3000:]))
        return out

    def exec(self, code, timeout=60):
        """Run code to its end; its output (str)."""
        self.start(code, timeout)
        return self.finish(timeout)

    def stop(self, timeout=30):
        """Ctrl-C to the code running on the board (see the module's
        docstring); its whole output."""
        self._send(b"\x03")
        return self.finish(timeout)

    def soft_reset(self, timeout=30):
        """Ctrl-D at the raw REPL: a soft reboot frees the whole heap (what
        earlier code left in globals too), back at the raw REPL."""
        self._send(b"\x04")
        self.read_until(b"soft reboot", timeout)
        self.read_until(b"raw REPL; CTRL-B to exit\r\n>", timeout)

    def friendly(self):
        """Leave the raw REPL for the normal one (>>> prompt)."""
        self._send(b"\x02")
        self.read_until(b">>> ")

    def type(self, line, timeout=30, prompt=b">>> "):
        """Type a line at the friendly REPL; what it printed before the next
        prompt (the echoed line stripped)."""
        self._send(line.encode() + b"\r")
        out = self.read_until(prompt, timeout).decode(errors="replace")
        return out.replace("\r\n", "\n").split("\n", 1)[1] if "\n" in out else ""

    # --- QEMU's monitor: pcap of the NIC's traffic ------------------------------
    def _mon_read(self, marker, timeout=10):
        data = b""
        self.mon.settimeout(timeout)
        while marker.encode() not in data:
            chunk = self.mon.recv(4096)
            if not chunk:
                raise BoardError("qemu monitor closed")
            data += chunk
        return data.decode(errors="replace")

    def monitor(self, command):
        self.mon.sendall(command.encode() + b"\n")
        return self._mon_read("(qemu)")

    def pause(self):
        """Stop the guest's CPU (QEMU's `stop`): the qemu port idles in a busy
        loop, so a booted board kept for later tests would take a host core."""
        self.monitor("stop")

    def resume(self):
        self.monitor("cont")

    def pcap_start(self, path):
        """Every frame through the NIC from now on goes to path (QEMU's
        filter-dump on the netdev: what the board sent and received)."""
        if os.path.exists(path):
            os.unlink(path)
        self._dumps += 1
        self._dump_id = "dump%d" % self._dumps
        self.monitor("object_add filter-dump,id=%s,netdev=n0,file=%s"
                     % (self._dump_id, path))

    def pcap_stop(self):
        self.monitor("object_del %s" % self._dump_id)

