# PcapWriter: wraps a device and records every frame sent and received in a
# libpcap file (the classic format Wireshark, tshark and tcpdump read:
# https://wiki.wireshark.org/Development/LibpcapFileFormat).
#
# Timestamps come from clock() in ms (a test's fake clock or time.ticks_ms).
# Allocation: none per frame on MicroPython (stream.write(buf, n) writes a
# prefix without slicing); CPython slices, which is fine on a host.
import sys
from micropython import const
from .device import MEDIUM_ETHERNET

_LINKTYPE_ETHERNET = const(1)
_LINKTYPE_RAW = const(101)
_MP = sys.implementation.name == "micropython"

MODE_BOTH = 3
MODE_RX = 1
MODE_TX = 2


def _put32le(b, off, v):
    b[off] = v & 0xFF
    b[off + 1] = (v >> 8) & 0xFF
    b[off + 2] = (v >> 16) & 0xFF
    b[off + 3] = (v >> 24) & 0xFF


class PcapWriter:
    def __init__(self, dev, stream, clock=None, mode=MODE_BOTH, snaplen=65535):
        if isinstance(stream, str):
            stream = open(stream, "wb")
        self.dev = dev
        self.stream = stream
        self.mtu = dev.mtu
        self.medium = dev.medium
        self.mac = dev.mac
        self.poll_obj = getattr(dev, "poll_obj", None)
        self.flag = getattr(dev, "flag", None)
        if clock is None:
            from time import ticks_ms as clock
        self.clock = clock
        self.mode = mode
        self._rec = bytearray(16)
        g = bytearray(24)
        _put32le(g, 0, 0xA1B2C3D4)        # magic: microsecond timestamps
        g[4] = 2                           # version 2.4
        g[6] = 4
        _put32le(g, 16, snaplen)
        _put32le(g, 20, _LINKTYPE_ETHERNET if dev.medium == MEDIUM_ETHERNET else _LINKTYPE_RAW)
        stream.write(g)
        self.frames = 0

    def _record(self, buf, n):
        ms = self.clock()
        r = self._rec
        s = ms // 1000
        _put32le(r, 0, s)
        _put32le(r, 4, (ms - s * 1000) * 1000)
        _put32le(r, 8, n)
        _put32le(r, 12, n)
        w = self.stream.write
        w(r)
        if _MP:
            w(buf, n)
        else:
            w(bytes(buf[:n]))
        self.frames += 1

    def recv_into(self, buf):
        n = self.dev.recv_into(buf)
        if n > 0 and self.mode & MODE_RX:
            self._record(buf, n)
        return n

    def send(self, buf, n):
        if self.mode & MODE_TX:
            self._record(buf, n)
        return self.dev.send(buf, n)

    def flush(self):
        if hasattr(self.stream, "flush"):
            self.stream.flush()

    def link_up(self):
        return self.dev.link_up()

    def close(self):
        self.flush()
        self.stream.close()
        self.dev.close()
