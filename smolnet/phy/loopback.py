# Loopback devices: frames sent on one end are received on the other (or on
# the same device, for Loopback()). Each end has a fixed queue of frame slots;
# a send into a full queue drops the frame and counts it, like a real link.
# send/recv_into copy and allocate nothing.
from array import array
from ..fast import copy
from .device import MEDIUM_ETHERNET, ETHERNET_MTU


class _Queue:
    def __init__(self, slots, mtu):
        self.data = bytearray(slots * mtu)
        self.lens = array("i", [0] * slots)
        self.slots = slots
        self.mtu = mtu
        self.head = 0
        self.count = 0
        self.dropped = 0

    def put(self, buf, n):
        if self.count == self.slots or n > self.mtu:
            self.dropped += 1
            return False
        i = self.head + self.count
        if i >= self.slots:
            i -= self.slots
        copy(self.data, i * self.mtu, buf, 0, n)
        self.lens[i] = n
        self.count += 1
        return True

    def get(self, buf):
        if self.count == 0:
            return 0
        i = self.head
        n = self.lens[i]
        if n > len(buf):
            n = 0  # caller's buffer too small: drop, never truncate
            self.dropped += 1
        else:
            copy(buf, 0, self.data, i * self.mtu, n)
        self.head = i + 1 if i + 1 < self.slots else 0
        self.count -= 1
        return n


class Loopback:
    """A device whose sent frames come back to itself (or, made with pair(),
    arrive at the peer)."""

    poll_obj = None
    flag = None

    def __init__(self, mac=b"\x02\x00\x00\x00\x00\x01", slots=16, mtu=ETHERNET_MTU,
                 medium=MEDIUM_ETHERNET, _queue=None):
        self.mac = bytes(mac) if mac is not None else None
        self.mtu = mtu
        self.medium = medium
        self.rxq = _Queue(slots, mtu) if _queue is None else _queue
        self.peer_q = self.rxq
        self.tx_count = 0
        self.rx_count = 0

    @staticmethod
    def pair(mac_a=b"\x02\x00\x00\x00\x00\x01", mac_b=b"\x02\x00\x00\x00\x00\x02",
             slots=16, mtu=ETHERNET_MTU, medium=MEDIUM_ETHERNET):
        a = Loopback(mac_a, slots, mtu, medium)
        b = Loopback(mac_b, slots, mtu, medium)
        a.peer_q = b.rxq
        b.peer_q = a.rxq
        return a, b

    def recv_into(self, buf):
        q = self.rxq
        if q.count == 0:
            return 0         # the common case of a poll: no call for it
        n = q.get(buf)
        if n:
            self.rx_count += 1
        return n

    def send(self, buf, n):
        if self.peer_q.put(buf, n):
            self.tx_count += 1
            return True
        return False

    def pending(self):
        return self.rxq.count

    def link_up(self):
        return True

    def close(self):
        pass
