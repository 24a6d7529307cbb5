# Two smolnet Interfaces joined by a Loopback pair (optionally through
# FaultInjectors), with a fake clock: the fixture of the interface tests.
from smolnet.phy.loopback import Loopback
from smolnet.phy.fault import FaultInjector
from smolnet.iface.interface import Interface
from smolnet.config import Config
from smolnet.wire import ipaddr

IP_A = ipaddr.parse4("192.0.2.1")
IP_B = ipaddr.parse4("192.0.2.2")


class Clock:
    def __init__(self, t=0):
        self.t = t

    def __call__(self):
        return self.t


class NetPair:
    def __init__(self, fault_a=None, fault_b=None, slots=16, config=None, t0=0):
        self.clock = Clock(t0)
        self.dev_a, self.dev_b = Loopback.pair(slots=slots)
        da, db = self.dev_a, self.dev_b
        if fault_a:
            da = FaultInjector(da, clock=self.clock, **fault_a)
        if fault_b:
            db = FaultInjector(db, clock=self.clock, **fault_b)
        self.fa, self.fb = da, db
        self.a = Interface(da, config or Config(strict=True))
        self.a.add_ip("192.0.2.1/24")
        self.b = Interface(db, config or Config(strict=True))
        self.b.add_ip("192.0.2.2/24")

    def step(self, ms=1):
        """Poll both sides once and advance the clock."""
        t = self.clock.t
        self.a.poll(t)
        self.b.poll(t)
        self.clock.t = (t + ms) & 0x3FFFFFFF

    def run(self, ms, step=1):
        for _ in range(0, ms, step):
            self.step(step)


def compat_nets(config=None):
    """A NetPair with the socket module on top: Net A (made the facade's
    default) and Net B, each polling both Interfaces, on the pair's fake
    clock, which their sleep() advances (timeouts exact and instant).
    Returns (pair, net_a, net_b)."""
    from smolnet.compat import socket
    from smolnet.compat.stack import Net
    p = NetPair(config=config)

    def sleep(ms):
        p.clock.t = (p.clock.t + ms) & 0x3FFFFFFF

    a = Net(p.a, clock=p.clock, sleep=sleep)
    a.also_poll(p.b)
    b = Net(p.b, clock=p.clock, sleep=sleep)
    b.also_poll(p.a)
    socket.use(a)
    return p, a, b
