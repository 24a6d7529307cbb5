# The neighbor cache (ARP for IPv4; NDP will share it): a fixed table of
# IP -> MAC entries with expiry, plus "incomplete" entries that remember when
# a request was last sent so requests are rate limited per neighbor
# (RFC 1122 2.3.2.1). All lookups are allocation-free.
#
# gen, a generation number, moves on every change to the table and, from
# the Interface and its Routes, to anything else tx_begin's answer depends
# on (addresses, routes): a socket that keeps the answer (the link header
# and source of its peer, tcp_emit._route) keeps it only while gen stays,
# and only until the entry's lifetime ends (Interface.tx_until).
from micropython import const
from time import ticks_diff
from ..fast import copy, equal

_FREE = const(0)
_INCOMPLETE = const(1)
_REACHABLE = const(2)
_ALEN = const(16)
_GEN_MASK = const(0x3FFFFFFF)      # gen stays a small int (31 bits on a board)


class NeighborCache:
    def __init__(self, size, ttl_ms, retry_ms):
        self.size = size
        self.ttl_ms = ttl_ms
        self.retry_ms = retry_ms
        self.state = bytearray(size)
        self.alen = bytearray(size)
        self.addrs = bytearray(size * _ALEN)
        self.macs = bytearray(size * 6)
        self.stamp = [0] * size  # ticks: when filled, or when last requested
        # counts entries that became reachable: the Interface wakes its
        # sockets when it moves (one may wait for that neighbor)
        self.learned = 0
        self.gen = 0

    def clear(self):
        moved(self)
        for i in range(self.size):
            self.state[i] = _FREE

    def lookup(self, addr, aoff, alen, now):
        """Index of a fresh entry for addr (MAC at macs[6*i:]), or -1."""
        return lookup(self, addr, aoff, alen, now)

    def _victim(self, now):
        # a free slot, else the oldest incomplete entry, else the oldest entry
        best = -1
        best_age = -1
        for i in range(self.size):
            s = self.state[i]
            if s == _FREE:
                return i
            age = ticks_diff(now, self.stamp[i])
            if s == _INCOMPLETE:
                age += 0x10000000  # prefer evicting pending requests
            if age > best_age:
                best, best_age = i, age
        return best

    def fill(self, addr, aoff, alen, mac, moff, now):
        moved(self)
        i = _find(self, addr, aoff, alen)
        if i < 0:
            i = self._victim(now)
            copy(self.addrs, i * _ALEN, addr, aoff, alen)
            self.alen[i] = alen
        copy(self.macs, i * 6, mac, moff, 6)
        if self.state[i] != _REACHABLE:
            self.learned += 1
        self.state[i] = _REACHABLE
        self.stamp[i] = now

    def update(self, addr, aoff, alen, mac, moff, now):
        """RFC 826 "merge": refresh an entry only if it already exists."""
        i = _find(self, addr, aoff, alen)
        if i < 0:
            return False
        moved(self)
        copy(self.macs, i * 6, mac, moff, 6)
        if self.state[i] != _REACHABLE:
            self.learned += 1
        self.state[i] = _REACHABLE
        self.stamp[i] = now
        return True

    def request_due(self, addr, aoff, alen, now):
        """True if a request for addr may be sent now (and records that it
        is); False while the last request is younger than retry_ms."""
        i = _find(self, addr, aoff, alen)
        if i >= 0 and self.state[i] == _INCOMPLETE and \
                ticks_diff(now, self.stamp[i]) < self.retry_ms:
            return False
        moved(self)
        if i < 0 or self.state[i] == _REACHABLE:
            if i < 0:
                i = self._victim(now)
            copy(self.addrs, i * _ALEN, addr, aoff, alen)
            self.alen[i] = alen
        self.state[i] = _INCOMPLETE
        self.stamp[i] = now
        return True

    def remove(self, addr, aoff, alen):
        i = _find(self, addr, aoff, alen)
        if i >= 0:
            moved(self)
            self.state[i] = _FREE

    def entries(self, now):
        """[(addr bytes, mac bytes or None, age_ms)] for display (allocates)."""
        out = []
        for i in range(self.size):
            if self.state[i] == _FREE:
                continue
            a = bytes(self.addrs[i * _ALEN:i * _ALEN + self.alen[i]])
            m = bytes(self.macs[i * 6:i * 6 + 6]) if self.state[i] == _REACHABLE else None
            out.append((a, m, ticks_diff(now, self.stamp[i])))
        return out


# The per-packet lookups, module functions: a function costs half a method
# call to call (a method is looked for among the instance's names first)
def lookup(nc, addr, aoff, alen, now):
    """NeighborCache.lookup for cache nc (the IP layers' transmit path
    calls this)."""
    i = _find(nc, addr, aoff, alen)
    if i < 0 or nc.state[i] != _REACHABLE:
        return -1
    if ticks_diff(now, nc.stamp[i]) >= nc.ttl_ms:
        moved(nc)
        nc.state[i] = _FREE
        return -1
    return i


def moved(nc):
    """Something tx_begin's answer depends on changed (see gen above)."""
    nc.gen = (nc.gen + 1) & _GEN_MASK


def _find(nc, addr, aoff, alen):
    # an index loop, not range(), keeps the frame within the 11 words of
    # the C stack (tools/frame_sizes.py)
    i = 0
    while i < nc.size:
        if nc.state[i] != _FREE and nc.alen[i] == alen and \
                equal(nc.addrs, i * _ALEN, addr, aoff, alen):
            return i
        i += 1
    return -1
