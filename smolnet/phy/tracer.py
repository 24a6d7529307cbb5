# Tracer: wraps a device and calls writer(direction, line) with a one-line
# summary of every frame ("rx"/"tx"). For debugging: it allocates per frame.
from .device import MEDIUM_ETHERNET
from ..wire.summary import frame_summary


def _print(direction, line):
    print(direction, line)


class Tracer:
    def __init__(self, dev, writer=_print):
        self.dev = dev
        self.writer = writer
        self.mtu = dev.mtu
        self.medium = dev.medium
        self.mac = dev.mac
        self.poll_obj = getattr(dev, "poll_obj", None)
        self.flag = getattr(dev, "flag", None)

    def recv_into(self, buf):
        n = self.dev.recv_into(buf)
        if n > 0:
            self.writer("rx", frame_summary(buf, n, self.medium == MEDIUM_ETHERNET))
        return n

    def send(self, buf, n):
        self.writer("tx", frame_summary(buf, n, self.medium == MEDIUM_ETHERNET))
        return self.dev.send(buf, n)

    def link_up(self):
        return self.dev.link_up()

    def close(self):
        self.dev.close()
