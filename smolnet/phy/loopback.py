# Loopback devices: frames sent on one end are received on the other (or on
# the same device, for Loopback()). Each end has a fixed queue of frame slots;
# a send into a full queue drops the frame and counts it, like a real link.
# send/recv_into copy and allocate nothing; they count nothing else (the
# Interface counts frames: its stats.rx_frames and tx_frames).
from array import array
from ..fast import copy
from .device import MEDIUM_ETHERNET, ETHERNET_MTU


class _Queue:
    # a ring of frame slots: the Loopback ends read and write it in place
    # (a method call for each frame would cost more than the rest)
    def __init__(self, slots, mtu):
        self.data = bytearray(slots * mtu)
        self.lens = array("i", [0] * slots)
        self.slots = slots
        self.mtu = mtu
        self.head = 0
        self.count = 0
        self.dropped = 0


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
            return 0         # the common case of a poll
        i = q.head
        n = q.lens[i]
        q.head = i + 1 if i + 1 < q.slots else 0
        q.count -= 1
        if n > len(buf):
            q.dropped += 1   # the caller's buffer is too small: drop, never truncate
            return 0
        copy(buf, 0, q.data, i * q.mtu, n)
        return n

    def send(self, buf, n):
        # into the peer's queue (the queue has no methods: a call fewer a frame)
        q = self.peer_q
        if q.count == q.slots or n > q.mtu:
            q.dropped += 1
            return False
        i = q.head + q.count
        if i >= q.slots:
            i -= q.slots
        copy(q.data, i * q.mtu, buf, 0, n)
        q.lens[i] = n
        q.count += 1
        return True

    def pending(self):
        return self.rxq.count

    def link_up(self):
        return True

    def close(self):
        pass
