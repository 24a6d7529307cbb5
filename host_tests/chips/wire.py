# A cable for chip models: whatever one end transmits arrives at the other.
#
# An end is any object with frame_in(buf, n) (called with a frame as it
# arrives: n bytes, no FCS) and a `wire` attribute the cable sets. Chip
# models transmit with wire.carry(self, buf, n); WireDevice below is a
# smolnet Device at the far end (like one side of smolnet's Loopback), so a
# smolnet Interface can talk to a modelled chip.
#
# carry() and WireDevice's recv_into/send/frame_in allocate nothing unless
# capture is on (then each frame is copied into a list for the test to read).
from micropython import const
from smolnet.fast import copy, fill
from smolnet.phy.device import MEDIUM_ETHERNET, ETHERNET_MTU

_MIN_FRAME = const(60)   # shortest frame without FCS; MACs pad up to it


class Wire:
    def __init__(self, capture=False):
        self.a = None
        self.b = None
        self.up = True          # tests pull the cable with wire.up = False
        self.carried = 0
        self.lost = 0           # frames sent while the link was down
        self.log = [] if capture else None

    def plug(self, end):
        """Connect an end (a model or WireDevice); returns it."""
        if self.a is None:
            self.a = end
        elif self.b is None:
            self.b = end
        else:
            raise ValueError("both ends of the wire are taken")
        end.wire = self
        return end

    def link_up(self):
        return self.up and self.a is not None and self.b is not None

    def carry(self, src, buf, n):
        """src transmitted buf[0:n]; deliver it to the other end."""
        if not self.link_up():
            self.lost += 1
            return
        dst = self.b if src is self.a else self.a
        self.carried += 1
        if self.log is not None:
            self.log.append(bytes(buf[:n]))
        dst.frame_in(buf, n)


class WireDevice:
    """A smolnet Device plugged into a Wire: frames arriving from the wire
    queue in `slots` preallocated buffers; send() puts a frame on the wire,
    padded to 60 bytes as a real MAC would (pad=False to send as is)."""

    mtu = ETHERNET_MTU
    medium = MEDIUM_ETHERNET
    poll_obj = None
    flag = None

    def __init__(self, mac, slots=16, pad=True):
        self.mac = bytes(mac)
        self.wire = None
        self.pad = pad
        self._bufs = [bytearray(ETHERNET_MTU) for _ in range(slots)]
        self._lens = [0] * slots
        self._head = 0
        self._count = 0
        self._padbuf = bytearray(_MIN_FRAME)
        self.rx_frames = 0
        self.tx_frames = 0
        self.drop_full = 0
        self.drop_oversize = 0

    # wire side
    def frame_in(self, buf, n):
        if n > ETHERNET_MTU:
            self.drop_oversize += 1
            return
        slots = len(self._bufs)
        if self._count == slots:
            self.drop_full += 1
            return
        i = (self._head + self._count) % slots
        copy(self._bufs[i], 0, buf, 0, n)
        self._lens[i] = n
        self._count += 1

    def pending(self):
        return self._count

    # Device protocol
    def recv_into(self, buf):
        if self._count == 0:
            return 0
        i = self._head
        n = self._lens[i]
        self._head = (i + 1) % len(self._bufs)
        self._count -= 1
        if n > len(buf):
            self.drop_oversize += 1
            return 0
        copy(buf, 0, self._bufs[i], 0, n)
        self.rx_frames += 1
        return n

    def send(self, buf, n):
        if self.wire is None:
            return False
        self.tx_frames += 1
        if self.pad and n < _MIN_FRAME:
            p = self._padbuf
            copy(p, 0, buf, 0, n)
            fill(p, n, _MIN_FRAME - n, 0)
            self.wire.carry(self, p, _MIN_FRAME)
        else:
            self.wire.carry(self, buf, n)
        return True

    def link_up(self):
        return self.wire is not None and self.wire.link_up()

    def close(self):
        pass
