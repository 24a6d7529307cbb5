# smolnet.aio: run an Interface inside asyncio, and async sockets over it.
#
#   import asyncio
#   from smolnet import aio
#   drv = aio.Driver(iface)          # one per Interface
#   drv.start()                      # asyncio.create_task(drv.run())
#   u = aio.UdpSocket(drv, 5000)
#   data, addr = await u.recvfrom()
#   await u.sendto(b"pong", addr)
#
# The driver task polls the Interface, wakes every task waiting on a socket
# (an asyncio.Event pulsed after each poll) and then sleeps until a frame can
# arrive or poll_delay() runs out. What wakes it:
#   - MicroPython: a _Waker, an io.IOBase that asyncio's select.poll asks for
#     readiness (as it does a ThreadSafeFlag): it answers "ready" when kicked
#     (kick(), or set() from a MAC interrupt through device.attach_flag), when
#     the device's poll_obj (an fd on the unix port) has a frame, or when the
#     deadline has passed. Waiting costs no allocation beyond the generator.
#   - CPython: an asyncio.Event set by loop.add_reader on the poll_obj's fd,
#     by kick(), or asyncio.wait_for's timeout.
# Without a way to learn of frames (no poll_obj, no interrupt) the driver
# polls every idle_ms. This is the only module of smolnet that imports
# asyncio: boards without asyncio use the low-level API or the blocking
# socket facade, which run the Interface themselves.
import sys
import asyncio
from time import ticks_ms, ticks_add, ticks_diff
from micropython import const
from .socket.udp import UdpSocket as _Udp
from .socket.span import span, writable
from .compat.ports import ephemeral_port

# copies of smolnet/socket/errno.py's constants
_EBADF = const(9)

_MP = sys.implementation.name == "micropython"
_POLLIN = const(1)
_MP_STREAM_POLL = const(3)
_IDLE_MS = const(10)      # poll period when nothing tells us a frame came


if _MP:
    import io
    import select

    class _Waker(io.IOBase):
        """What the driver task waits on. set() is safe from an interrupt
        (it stores a small int); the rest runs in the asyncio loop."""

        def __init__(self, poll_obj):
            self.state = 0
            self.timed = False
            self.deadline = 0
            self._p = None
            if poll_obj is not None:
                self._p = select.poll()
                self._p.register(poll_obj, select.POLLIN)
            self._stream = asyncio.StreamReader(self)
            self._buf = bytearray(1)

        def set(self):
            self.state = 1

        def ioctl(self, req, arg):
            if req != _MP_STREAM_POLL:
                return -1   # no file descriptor: asyncio polls us every ms
            if self.state:
                return arg & _POLLIN
            if self._p is not None:
                for _ in self._p.ipoll(0):   # reuses one tuple: no allocation
                    return arg & _POLLIN
            if self.timed and ticks_diff(ticks_ms(), self.deadline) >= 0:
                return arg & _POLLIN
            return 0

        def readinto(self, buf):
            self.state = 0
            return 0

        def wait(self, ms):
            self.timed = ms >= 0
            self.deadline = ticks_add(ticks_ms(), ms if ms > 0 else 0)
            return self._stream.readinto(self._buf)

        def close(self):
            pass

else:
    # CPython: an asyncio.Event and loop.add_reader (a host-only module)
    from ._aio_host import _Waker


class Driver:
    """Runs one Interface in the asyncio loop.

    Attributes: iface, changed (asyncio.Event pulsed after every poll: await
    changed.wait() to sleep until the stack may have moved), polls (rounds
    done), running."""

    def __init__(self, iface, idle_ms=None, clock=ticks_ms):
        self.iface = iface
        self.clock = clock
        dev = iface.device
        self.poll_obj = getattr(dev, "poll_obj", None)
        self.irq = getattr(dev, "flag", None) is not None
        self.idle_ms = idle_ms
        self.waker = _Waker(self.poll_obj)
        self.changed = asyncio.Event()
        self.running = False
        self.polls = 0
        self.task = None

    def attach_irq(self):
        """Let the device's interrupt wake the driver: device.attach_flag(
        waker) (boards/w5500, enc28j60, lan9118 with an interrupt pin)."""
        self.iface.device.attach_flag(self.waker)
        self.irq = True

    def kick(self):
        """Make the driver poll soon (after a socket was given data)."""
        self.waker.set()

    def poll(self):
        """One round now, outside the task: poll and wake waiters."""
        did = self.iface.poll(self.clock())
        self.polls += 1
        self._pulse()
        return did

    def _pulse(self):
        ev = self.changed
        ev.set()     # waiters are scheduled now ...
        ev.clear()   # ... and the next wait() blocks again

    def _delay(self):
        d = self.iface.poll_delay(self.clock())
        idle = self.idle_ms
        if idle is None:
            idle = -1 if (self.poll_obj is not None or self.irq) else _IDLE_MS
        if idle >= 0 and (d < 0 or d > idle):
            d = idle
        return d

    async def run(self):
        self.running = True
        try:
            while self.running:
                self.poll()
                d = self._delay()
                if d == 0:
                    await asyncio.sleep_ms(0)
                else:
                    await self.waker.wait(d)
        finally:
            self.running = False

    def start(self):
        """Create the driver task (it runs once the asyncio loop runs)."""
        self.task = asyncio.create_task(self.run())
        return self.task

    def stop(self):
        self.running = False
        self.waker.set()

    async def wait_until(self, cond, timeout_ms=-1):
        """Await until cond() is true (checked after every poll); False if
        timeout_ms passed first."""
        t0 = self.clock()
        while not cond():
            if timeout_ms >= 0:
                left = timeout_ms - ticks_diff(self.clock(), t0)
                if left <= 0:
                    return False
                try:
                    # (CPython: the shim's wait_for_ms, smolnet/_cpython.py)
                    await asyncio.wait_for_ms(self.changed.wait(), left)
                except asyncio.TimeoutError:
                    pass
            else:
                await self.changed.wait()
        return True


class UdpSocket:
    """An async UDP socket on a Driver's Interface.

        u = UdpSocket(drv, 5000)            # bound to port 5000 (0: ephemeral)
        await u.sendto(b"hi", ("192.0.2.1", 7))
        data, (host, port) = await u.recvfrom()
        n = await u.recv_into(buf)          # no allocation; u.peer_port etc.
    """

    def __init__(self, driver, port=0, addr=None, rx_slots=4, rx_bytes=1536,
                 tx_slots=4, tx_bytes=1536):
        self.driver = driver
        s = _Udp(rx_slots, rx_bytes, tx_slots, tx_bytes)
        if port == 0:
            port = ephemeral_port(driver.iface, s.proto)
        s.bind(port, addr)
        self.sock = s
        self.port = port
        driver.iface.add_socket(s)

    @property
    def peer_addr(self):
        return self.sock.peer_addr

    @property
    def peer_port(self):
        return self.sock.peer_port

    async def sendto(self, data, address, n=-1):
        s = self.sock
        n = span(data, 0, n)           # before waiting for room for n bytes
        host, port = address
        a = _parse(host)
        if not s.can_send(n):
            await self.driver.wait_until(lambda: s.can_send(n) or not s.is_open())
        s.send_to(data, n, a, port)
        self.driver.kick()
        return n

    async def recv_into(self, buf, off=0, n=-1):
        s = self.sock
        writable(buf, off, n)          # misuse raises now, not after the wait
        if not s.can_recv():
            await self.driver.wait_until(lambda: s.can_recv() or not s.is_open())
        if not s.is_open():
            raise OSError(_EBADF)
        return s.recv_into(buf, off, n)

    async def recvfrom(self, bufsize=1536):
        s = self.sock
        if not s.can_recv():
            await self.driver.wait_until(lambda: s.can_recv() or not s.is_open())
        if not s.is_open():
            raise OSError(_EBADF)
        return s.recvfrom(bufsize)

    def close(self):
        self.driver.iface.remove_socket(self.sock)
        self.sock.close()


def _parse(host):
    if isinstance(host, str):
        from .wire import ipaddr
        return ipaddr.parse(host)
    return host
