# runtimes: cpython unix wasm
# PacketRing: unit cases, a random run against a model (the placement rule
# written plainly, with a list of the packets queued), and the per-packet
# calls under the heap lock.
from smolnet.storage.packet_ring import PacketRing, reserve, pop
from smolnet.fast import copy

from support import heap_locked as _locked
from prng import Prng


class _Model:
    """The packets queued, as a list; where the next one goes is worked
    out from it afresh: after the newest if it fits before the end, else
    at 0 if it fits before the oldest one's bytes (the end then padding,
    counted with the packet placed at 0), else nowhere."""

    def __init__(self, slots, size):
        self.slots = slots
        self.size = size
        self.q = []      # [start (its padding's, if any), off, n, port, alen, addr, payload]

    def _wr(self):
        if not self.q:
            return 0
        end = self.q[-1][1] + self.q[-1][2]
        return 0 if end == self.size else end

    def _used(self):
        return sum(n + (self.size - start if start > off else 0)
                   for start, off, n in (p[:3] for p in self.q))

    def place(self, n):
        if len(self.q) == self.slots or n > self.size:
            return -1
        if not self.q:
            return 0
        wr = self._wr()
        rd = self.q[0][0]
        if wr > rd or self._used() == 0:     # one run [rd, wr): room after it, or before it
            if self.size - wr >= n:
                return wr
            return 0 if n <= rd else -1
        return wr if rd - wr >= n else -1    # it runs on from 0: room between

    def push(self, off, n, port, alen, addr, payload):
        wr = self._wr()
        start = wr if self.q and off < wr else off
        self.q.append([start, off, n, port, alen, addr, payload])


def _payload(rng, n):
    b = bytearray(n)
    rng.fill(b)
    return b


def _push(r, n, port, addr, payload):
    off = reserve(r, n, port, len(addr))
    if off >= 0:
        assert r.tail_off == off
        copy(r.data, off, payload, 0, n)
        copy(r.addr, r.tail_addr, addr, 0, len(addr))
    return off


def _check_head(r, want):
    off, n, port, alen, addr, payload = want[1:]
    assert (r.head_off, r.head_len, r.head_port, r.head_alen) == (off, n, port, alen)
    assert bytes(r.addr[r.head_addr:r.head_addr + alen]) == bytes(addr)
    assert bytes(r.data[r.head_off:r.head_off + n]) == bytes(payload)


def test_sizes_and_bad_arguments():
    r = PacketRing(3, 100)
    assert r.size == 100 and r.capacity() == 100 and len(r.data) == 100
    assert r.count == 0 and len(r) == 0 and r.is_empty() and not r.is_full()
    for slots, size in ((0, 10), (1, 0)):
        try:
            PacketRing(slots, size)
        except ValueError:
            pass
        else:
            assert False, "PacketRing(%d, %d) accepted" % (slots, size)


def test_fifo_head_fields_and_wrap():
    r = PacketRing(3, 10)
    a4, a16 = bytes((10, 0, 0, 1)), bytes(range(16))
    assert _push(r, 6, 53, a4, b"abcdef") == 0
    assert _push(r, 3, 54, a16, b"ghi") == 6
    assert r.count == 2 and not r.fits(2)       # 1 byte left at the end, 0 before the head
    _check_head(r, (0, 0, 6, 53, 4, a4, b"abcdef"))
    pop(r)
    _check_head(r, (6, 6, 3, 54, 16, a16, b"ghi"))
    assert r.fits(6) and not r.fits(7)          # wraps to 0: 6 bytes before the head
    assert _push(r, 5, 55, a4, b"jklmn") == 0   # the 1 byte at the end is padding
    assert reserve(r, 2, 0, 4) == -1             # 1 byte between them: no room
    pop(r)
    _check_head(r, (9, 0, 5, 55, 4, a4, b"jklmn"))
    assert _push(r, 0, 56, a4, b"") == 5        # an empty datagram takes a slot
    assert r.count == 2
    pop(r)
    pop(r)
    assert r.count == 0 and r.is_empty()
    pop(r)                                     # popping an empty ring does nothing
    assert r.count == 0
    assert _push(r, 10, 57, a16, b"0123456789") == 0   # empty again: from 0, all of it
    assert not r.is_full() and not r.fits(1) and r.fits(0)   # bytes full, slots not
    r.clear()
    assert r.count == 0 and r.fits(10)


def test_slots_limit_and_too_big():
    r = PacketRing(2, 64)
    a = bytes(4)
    assert reserve(r, 65, 1, 4) == -1 and r.count == 0
    assert _push(r, 1, 1, a, b"x") == 0
    assert _push(r, 1, 2, a, b"y") == 1
    assert r.is_full() and reserve(r, 1, 3, 4) == -1 and r.count == 2


def test_random_against_model():
    rng = Prng(2024)
    for slots, size in ((1, 7), (2, 16), (3, 40), (4, 33), (5, 64)):
        r = PacketRing(slots, size)
        m = _Model(slots, size)
        for step in range(1500):
            if rng.below(100) < 55:
                n = rng.below(size + 2)
                if rng.below(8) == 0:
                    n = 0
                port = rng.below(65536)
                addr = _payload(rng, 16 if rng.below(2) else 4)
                payload = _payload(rng, n)
                want = m.place(n)
                assert r.fits(n) == (want >= 0)
                got = _push(r, n, port, addr, payload)
                assert got == want, (slots, size, step, n, got, want)
                if want >= 0:
                    m.push(got, n, port, len(addr), addr, payload)
            elif m.q:
                _check_head(r, m.q[0])
                pop(r)
                m.q.pop(0)
            assert r.count == len(m.q)
            # every packet queued is still intact, where it was put
            for p in m.q:
                assert bytes(r.data[p[1]:p[1] + p[2]]) == bytes(p[6])


def test_reserve_and_pop_allocate_nothing():
    r = PacketRing(4, 256)
    addr = bytearray(16)
    for k in range(3):
        _locked(lambda: reserve(r, 100, 7, 16))
        _locked(lambda: copy(r.addr, r.tail_addr, addr, 0, 16))
        _locked(lambda: pop(r))
    _locked(lambda: reserve(r, 10, 7, 4))
    _locked(lambda: reserve(r, 10, 7, 4))
    _locked(lambda: pop(r))
    _locked(lambda: pop(r))
    assert r.count == 0
