"""QEMU's own device models as the chip: board drivers run unchanged on
CPython, their machine.mem32 accesses forwarded over QEMU's qtest protocol.

CPython only. QEMU runs a one-instruction firmware (a branch-to-self) so
the machine is live and its network backend delivers frames; qtest
`readl`/`writel` reach the device registers (QEMU docs: devel/qtest). The
NIC's cable is a pair of Unix datagram sockets (`-netdev dgram`): no IP
networking at all. Frames the guest sends arrive at UnixPeer; frames sent
there reach the NIC.

    with Qemu("mps2-an385", kernel=M_PROFILE_LOOP) as q:
        bus = q.install()           # machine.mem32 -> qtest
        nic = LAN9118()             # the driver, unchanged
        peer = q.peer(mac)          # a Device on the far end of the cable

DMA drivers keep descriptors and buffers in their own bytearrays; with
dma_base the bus gives each bytearray a guest RAM address (uctypes.
addressof) and mirrors it: changed bytes go to the guest before every
register write (the driver always writes a doorbell after handing over a
descriptor), and Synced(nic, bus) pulls guest memory back before each
recv_into()/send(), like cache invalidation before reading DMA'd memory.
"""

import base64
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

QEMU = "qemu-system-arm"
# vector table (SP, reset PC | thumb) and "b ." for Cortex-M
M_PROFILE_LOOP = struct.pack("<IIH", 0x20001000, 0x9, 0xE7FE) + b"\0\0"
# "b ." in ARM state, for A-profile boards booted as a raw image
A_PROFILE_LOOP = struct.pack("<I", 0xEAFFFFFE)


def available():
    return shutil.which(QEMU) is not None


class Qemu:
    def __init__(self, machine, kernel, extra=()):
        self.dir = tempfile.mkdtemp(prefix="smolnet-qemu-")
        self.machine = machine
        self.kernel = kernel
        self.extra = list(extra)
        self.proc = None
        self._saved = None
        self.bus = None

    def __enter__(self):
        d = self.dir
        kpath = os.path.join(d, "loop.bin")
        with open(kpath, "wb") as f:
            f.write(self.kernel)
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(os.path.join(d, "qtest.sock"))
        lsock.listen(1)
        self.qemu_path = os.path.join(d, "nic.sock")
        self.peer_path = os.path.join(d, "peer.sock")
        self.peer_sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.peer_sock.bind(self.peer_path)
        self.peer_sock.setblocking(False)
        netdev = ("dgram,id=n0,local.type=unix,local.path=%s,remote.type=unix,"
                  "remote.path=%s" % (self.qemu_path, self.peer_path))
        args = [QEMU, "-M", self.machine, "-kernel", kpath,
                "-qtest", "unix:" + os.path.join(d, "qtest.sock"),
                "-qtest-log", "/dev/null", "-display", "none", "-serial", "none",
                "-monitor", "none", "-netdev", netdev] + self.extra
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        lsock.settimeout(20)
        try:
            self.conn, _ = lsock.accept()
        except socket.timeout:
            self.proc.kill()
            raise RuntimeError("QEMU did not start: %s" % self.proc.stderr.read().decode())
        finally:
            lsock.close()
        self.conn.settimeout(20)
        self._rx = b""
        self._lines = {}
        return self

    def __exit__(self, *exc):
        self.uninstall()
        if self.proc is not None:
            self.proc.kill()               # the QEMU this harness started, by PID
            self.proc.wait()
        self.peer_sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- qtest protocol --------------------------------------------------

    def cmd(self, line):
        self.conn.sendall(line.encode() + b"\n")
        while True:
            while b"\n" not in self._rx:
                chunk = self.conn.recv(65536)
                if not chunk:
                    raise RuntimeError("QEMU closed qtest: %s" % self.proc.stderr.read().decode())
                self._rx += chunk
            reply, self._rx = self._rx.split(b"\n", 1)
            reply = reply.decode()
            if reply.startswith("IRQ"):
                self._irq_notice(reply)    # asynchronous: "IRQ raise|lower N"
                continue
            if not reply.startswith("OK"):
                raise RuntimeError("qtest %r -> %r" % (line, reply))
            return reply[3:]

    def intercept_irqs(self, qom_path):
        """Deliver the interrupt inputs of qom_path (e.g. the NVIC's) to
        IrqLine objects instead of the CPU."""
        self.cmd("irq_intercept_in " + qom_path)

    def irq_line(self, num):
        """A Pin-like object for interrupt input `num` (see intercept_irqs)."""
        line = self._lines.get(num)
        if line is None:
            line = self._lines[num] = IrqLine()
        return line

    def _irq_notice(self, reply):
        parts = reply.split()
        line = self.irq_line(int(parts[2]))
        line.set(1 if parts[1] == "raise" else 0)

    def readl(self, addr):
        return int(self.cmd("readl 0x%x" % addr), 16)

    def writel(self, addr, value):
        self.cmd("writel 0x%x 0x%x" % (addr, value & 0xFFFFFFFF))

    def read(self, addr, n):
        return base64.b64decode(self.cmd("b64read 0x%x %d" % (addr, n)))

    def write(self, addr, data):
        self.cmd("b64write 0x%x %d %s" % (addr, len(data), base64.b64encode(bytes(data)).decode()))

    # --- machine.mem32 over qtest ----------------------------------------

    def install(self, dma_base=None):
        """Point the fake machine/uctypes modules at QEMU; returns the bus."""
        import fakemachine
        m = sys.modules.get("machine")
        if m is None:
            m = fakemachine.install()
        u = sys.modules["uctypes"]
        self._saved = (m, m.mem32, u, u.addressof)
        self.bus = QtestBus(self, dma_base)
        m.mem32 = self.bus
        u.addressof = self.bus.addressof
        return self.bus

    def uninstall(self):
        if self._saved is not None:
            m, mem32, u, addressof = self._saved
            m.mem32 = mem32
            u.addressof = addressof
            self._saved = None

    def peer(self, mac):
        return UnixPeer(self, mac)

    def pump(self, seconds=0.002):
        time.sleep(seconds)                # let QEMU's main loop move frames


class QtestBus:
    """machine.mem32 (signed reads, as on 32-bit ports) plus DMA mirroring."""

    def __init__(self, q, dma_base):
        self.q = q
        self.next = dma_base
        self.bufs = []                     # (guest address, bytearray, snapshot)
        self.accesses = 0

    def __getitem__(self, addr):
        self.accesses += 1
        v = self.q.readl(addr)
        return v - (1 << 32) if v & 0x80000000 else v

    def __setitem__(self, addr, value):
        self.accesses += 1
        self.push()
        self.q.writel(addr, value)

    def addressof(self, buf):
        for a, b, _ in self.bufs:
            if b is buf:
                return a
        if self.next is None:
            raise OSError("this QEMU bus has no guest RAM for DMA buffers")
        a = self.next
        self.next = (a + len(buf) + 63) & ~63
        snap = bytearray(len(buf))
        self.q.write(a, snap)
        self.bufs.append((a, buf, snap))
        return a

    def push(self):
        for a, b, snap in self.bufs:
            if b != snap:
                i = 0
                n = len(b)
                while i < n:              # write changed runs only
                    if b[i] == snap[i]:
                        i += 1
                        continue
                    j = i
                    while j < n and b[j] != snap[j]:
                        j += 1
                    self.q.write(a + i, b[i:j])
                    snap[i:j] = b[i:j]
                    i = j

    def pull(self):
        for a, b, snap in self.bufs:
            if b != snap:
                raise AssertionError("host changes not yet pushed to the guest")
            g = self.q.read(a, len(b))
            b[:] = g
            snap[:] = g


class IrqLine:
    """What a machine.Pin offers a driver's attach_flag(): irq(handler,
    trigger), fired on the edges QEMU reports."""

    IRQ_FALLING = 1
    IRQ_RISING = 2

    def __init__(self):
        self.level = 0
        self.handler = None
        self.trigger = 0
        self.edges = 0

    def irq(self, handler=None, trigger=3, **kw):
        self.handler = handler
        self.trigger = trigger

    def value(self):
        return self.level

    def set(self, level):
        if level == self.level:
            return
        self.level = level
        self.edges += 1
        edge = self.IRQ_RISING if level else self.IRQ_FALLING
        if self.handler is not None and self.trigger & edge:
            self.handler(self)


class Synced:
    """A DMA driver with guest memory pulled before each call."""

    def __init__(self, nic, bus):
        self.nic = nic
        self.bus = bus
        self.mac = nic.mac
        self.mtu = nic.mtu
        self.medium = nic.medium
        self.poll_obj = None
        self.flag = None

    def recv_into(self, buf):
        self.bus.pull()
        return self.nic.recv_into(buf)

    def send(self, buf, n):
        self.bus.pull()
        return self.nic.send(buf, n)

    def link_up(self):
        return self.nic.link_up()


class UnixPeer:
    """The far end of QEMU's -netdev dgram cable, as a smolnet Device."""

    mtu = 1514
    medium = 1
    poll_obj = None
    flag = None

    def __init__(self, q, mac):
        self.q = q
        self.mac = bytes(mac)

    def recv_into(self, buf):
        try:
            return self.q.peer_sock.recv_into(buf)
        except BlockingIOError:
            return 0

    def send(self, buf, n):
        self.q.peer_sock.sendto(bytes(buf[:n]), self.q.qemu_path)
        return True

    def link_up(self):
        return True
