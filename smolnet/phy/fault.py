# FaultInjector: wraps a device and damages traffic on purpose, with the same
# knobs as smoltcp's (drop chance, corrupt chance, size limit, tx/rx rate
# limits over a shaping interval) plus reordering. Seeded, so a failing test
# replays exactly. Chances are percentages (floats are fine here: converted
# once to 16-bit thresholds in the constructor).
#
# Rate limits need a clock: pass clock=a function returning ticks in ms (a
# test's fake clock, or time.ticks_ms). Allocation: none per frame.
from time import ticks_diff
from ..fast import copy
from ..rand import Rand16


def _threshold(pct):
    if not 0 <= pct <= 100:
        raise ValueError("chance must be a percentage 0..100")
    return int(pct * 65536 / 100)


class FaultInjector:
    def __init__(self, dev, drop_chance=0, corrupt_chance=0, size_limit=0,
                 tx_rate_limit=0, rx_rate_limit=0, shaping_interval=0,
                 reorder_chance=0, seed=1, clock=None):
        self.dev = dev
        self.mtu = dev.mtu
        self.medium = dev.medium
        self.mac = dev.mac
        self.poll_obj = getattr(dev, "poll_obj", None)
        self.flag = getattr(dev, "flag", None)
        self._drop = _threshold(drop_chance)
        self._corrupt = _threshold(corrupt_chance)
        self._reorder = _threshold(reorder_chance)
        self.size_limit = size_limit
        self.tx_rate_limit = tx_rate_limit
        self.rx_rate_limit = rx_rate_limit
        self.shaping_interval = shaping_interval
        if (tx_rate_limit or rx_rate_limit) and (clock is None or not shaping_interval):
            raise ValueError("rate limits need shaping_interval and a clock")
        self.clock = clock
        self.rng = Rand16(seed)
        self._tx_tokens = tx_rate_limit
        self._rx_tokens = rx_rate_limit
        self._refill_at = clock() if clock else 0
        # one frame held back for reordering (delivered after the next one)
        self._held = bytearray(dev.mtu)
        self._held_len = 0
        self._held_rx = False
        self.dropped = 0
        self.corrupted = 0
        self.reordered = 0

    def _refill(self):
        if not self.shaping_interval:
            return
        now = self.clock()
        if ticks_diff(now, self._refill_at) >= self.shaping_interval:
            self._refill_at = now
            self._tx_tokens = self.tx_rate_limit
            self._rx_tokens = self.rx_rate_limit

    def _damage(self, buf, n):
        """Apply drop/corrupt/size rules; True if the frame survives."""
        r = self.rng
        if self.size_limit and n > self.size_limit:
            self.dropped += 1
            return False
        if self._drop and r.next() < self._drop:
            self.dropped += 1
            return False
        if self._corrupt and r.next() < self._corrupt and n:
            i = r.below(n)
            buf[i] ^= 1 << r.below(8)
            self.corrupted += 1
        return True

    def recv_into(self, buf):
        self._refill()
        if self._held_len and self._held_rx:
            # deliver the frame held back last time, after the one that overtook it
            n = self._held_len
            copy(buf, 0, self._held, 0, n)
            self._held_len = 0
            return n
        while True:
            n = self.dev.recv_into(buf)
            if n <= 0:
                return 0
            if self.rx_rate_limit:
                if self._rx_tokens <= 0:
                    self.dropped += 1
                    continue
                self._rx_tokens -= 1
            if not self._damage(buf, n):
                continue
            if self._reorder and not self._held_len and self.rng.next() < self._reorder:
                copy(self._held, 0, buf, 0, n)
                self._held_len = n
                self._held_rx = True
                self.reordered += 1
                n2 = self.dev.recv_into(buf)
                if n2 > 0:
                    return n2
                # nothing to overtake it: deliver it now
                copy(buf, 0, self._held, 0, n)
                self._held_len = 0
                return n
            return n

    def send(self, buf, n):
        self._refill()
        if self.tx_rate_limit:
            if self._tx_tokens <= 0:
                self.dropped += 1
                return True  # lost on the wire, as far as the sender can tell
            self._tx_tokens -= 1
        if not self._damage(buf, n):
            return True
        return self.dev.send(buf, n)

    def link_up(self):
        return self.dev.link_up()

    def close(self):
        self.dev.close()
