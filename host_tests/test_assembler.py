# runtimes: cpython unix wasm
# Assembler: unit cases (merging, the gap limit, remove_front), SACK block
# order (RFC 2018 section 4), a random run against a set-of-offsets model,
# and allocation checks.
from smolnet.storage.assembler import Assembler

from support import heap_locked as _locked
from prng import XorShift


def ranges(a):
    return [(a.start(i), a.end(i)) for i in range(a.count())]


def sacks(a):
    out = []
    k = 0
    while a.sack_index(k) >= 0:
        out.append((a.sack_start(k), a.sack_end(k)))
        k += 1
    return out


def test_empty():
    a = Assembler(4)
    assert a.is_empty() and a.count() == 0
    assert a.remove_front() == 0
    assert a.sack_index(0) == -1
    assert a.sack_start(0) == -1 and a.sack_end(0) == -1
    assert not a.covers(0, 1)
    try:
        Assembler(0)
        assert False, "max_gaps 0 accepted"
    except ValueError:
        pass


def test_add_disjoint_sorted():
    a = Assembler(4)
    assert a.add(20, 5)
    assert a.add(5, 5)
    assert a.add(40, 1)
    assert ranges(a) == [(5, 10), (20, 25), (40, 41)]
    assert not a.is_empty() and a.count() == 3


def test_merge_overlap_and_adjacent():
    a = Assembler(4)
    a.add(10, 5)                      # [10,15)
    a.add(15, 5)                      # adjacent after -> [10,20)
    assert ranges(a) == [(10, 20)]
    a.add(5, 5)                       # adjacent before -> [5,20)
    assert ranges(a) == [(5, 20)]
    a.add(18, 10)                     # overlap end -> [5,28)
    a.add(7, 2)                       # inside: no change
    assert ranges(a) == [(5, 28)]
    a.add(40, 5)
    a.add(50, 5)
    a.add(60, 5)
    assert ranges(a) == [(5, 28), (40, 45), (50, 55), (60, 65)]
    a.add(27, 33)                     # swallows three, touches the last -> [5,65)
    assert ranges(a) == [(5, 65)]


def test_too_many_gaps_changes_nothing():
    a = Assembler(2)
    assert a.add(10, 2)
    assert a.add(20, 2)
    assert not a.add(30, 2)
    assert not a.add(0, 2)
    assert not a.add(15, 2)
    assert ranges(a) == [(10, 12), (20, 22)]
    assert sacks(a) == [(20, 22), (10, 12)]
    assert a.add(12, 8)               # bridges the two: fits again
    assert ranges(a) == [(10, 22)]


def test_zero_size_and_negative_offset():
    a = Assembler(2)
    assert a.add(5, 0)
    assert a.is_empty()
    assert a.add(-3, 5)               # clipped to [0,2)
    assert ranges(a) == [(0, 2)]
    assert a.add(-5, 3)               # entirely before the receive point
    assert ranges(a) == [(0, 2)]


def test_remove_front():
    a = Assembler(4)
    a.add(3, 4)
    a.add(10, 2)
    assert a.remove_front() == 0
    a.add(0, 3)                       # fills the hole -> [0,7)
    assert a.remove_front() == 7
    assert ranges(a) == [(3, 5)]      # offsets shifted down by 7
    assert a.remove_front() == 0


def test_add_then_remove_front():
    a = Assembler(1)
    assert a.add_then_remove_front(5, 5) == 0      # parked
    assert a.add_then_remove_front(0, 2) == 2      # in order, touches nothing
    assert ranges(a) == [(3, 8)]                   # (even though full)
    assert a.add_then_remove_front(10, 1) == -1    # second gap: no room
    assert a.add_then_remove_front(0, 3) == 8      # fills hole, merges
    assert a.is_empty()
    assert a.add_then_remove_front(0, 4) == 4
    assert a.add_then_remove_front(-2, 3) == 1     # overlap with old data
    assert a.add_then_remove_front(-4, 2) == 0     # all old: nothing new
    assert a.add_then_remove_front(2, 0) == 0
    a.add(4, 2)
    assert a.add_then_remove_front(0, 4) == 6      # adjacent -> merge
    assert a.is_empty()


def test_covers():
    a = Assembler(3)
    a.add(10, 10)
    a.add(30, 5)
    assert a.covers(10, 10) and a.covers(12, 3) and a.covers(30, 5)
    assert not a.covers(9, 2) and not a.covers(19, 2) and not a.covers(25, 1)
    assert not a.covers(34, 2)


def test_sack_order_most_recent_first():
    a = Assembler(8)
    a.add(10, 2)
    a.add(20, 2)
    a.add(30, 2)
    assert sacks(a) == [(30, 32), (20, 22), (10, 12)]
    a.add(21, 3)                      # touches the middle range
    assert sacks(a) == [(20, 24), (30, 32), (10, 12)]
    a.add(10, 1)                      # duplicate inside: still reported first
    assert sacks(a) == [(10, 12), (20, 24), (30, 32)]
    a.add(12, 8)                      # merges [10,12) and [20,24)
    assert sacks(a) == [(10, 24), (30, 32)]
    a.add(0, 10)
    assert a.remove_front() == 24     # acked: no longer a SACK block
    assert sacks(a) == [(6, 8)]


def test_stamp_renumbering_keeps_order():
    a = Assembler(5)
    a.add(10, 1)
    a.add(30, 1)
    a.add(20, 1)
    a._clock = 0x10000000 - 2         # force the counter to the renumber point
    a.add(40, 1)
    a.add(50, 1)                      # renumbers here
    assert a._clock < 10
    assert sacks(a) == [(50, 51), (40, 41), (20, 21), (30, 31), (10, 11)]
    a.add(31, 1)
    assert sacks(a)[0] == (30, 32)
    # renumbering while appending into a never-used slot
    b = Assembler(3)
    b.add(5, 1)
    b.add(1, 1)
    b._clock = 0x10000000 - 1
    b.add(9, 1)
    assert sacks(b) == [(9, 10), (1, 2), (5, 6)]


def _model_ranges(have, base):
    out = []
    keys = sorted(k for k in have if k >= base)
    for k in keys:
        if out and out[-1][1] == k:
            out[-1][1] = k + 1
            out[-1][2] = max(out[-1][2], have[k])
        else:
            out.append([k, k + 1, have[k]])
    return [(s - base, e - base, t) for s, e, t in out]


def test_random_against_model():
    for seed in (1, 2, 99, 4242, 31337, 8):
        rng = XorShift(seed)
        max_gaps = 1 + rng.below(6)
        a = Assembler(max_gaps)
        have = {}                     # absolute offset -> time of last add
        base = 0
        clock = 0
        for step in range(500):
            op = rng.below(10)
            off = rng.below(60) - 5
            size = rng.below(12)
            if op < 5:
                clock += 1
                trial = dict(have)
                for x in range(base + max(off, 0), base + off + size):
                    trial[x] = clock
                fits = len(_model_ranges(trial, base)) <= max_gaps
                assert a.add(off, size) == fits, (seed, step)
                if fits:
                    have = trial
            elif op < 7:
                m = _model_ranges(have, base)
                want = m[0][1] if m and m[0][0] == 0 else 0
                assert a.remove_front() == want
                for x in range(base, base + want):
                    del have[x]
                base += want
            elif op < 9:
                clock += 1
                trial = dict(have)
                for x in range(base + max(off, 0), base + off + size):
                    trial[x] = clock
                m = _model_ranges(trial, base)
                inorder = off <= 0 < off + size
                if len(m) <= max_gaps or inorder:
                    want = m[0][1] if m and m[0][0] == 0 else 0
                    assert a.add_then_remove_front(off, size) == want
                    have = trial
                    for x in range(base, base + want):
                        del have[x]
                    base += want
                else:
                    assert a.add_then_remove_front(off, size) == -1
            else:
                m = _model_ranges(have, base)
                if m:
                    s, e, _ = m[rng.below(len(m))]
                    assert a.covers(s, e - s) and a.covers(s + 1, e - s - 1)
                    assert not a.covers(s, e - s + 1)
            m = _model_ranges(have, base)
            assert ranges(a) == [(s, e) for s, e, _ in m], (seed, step)
            assert a.count() == len(m) and a.is_empty() == (not m)
            # the touching-ranges rule means the most recent range is the one
            # whose bytes saw the latest add: order by that time, newest first
            by_time = sorted(m, key=lambda r: -r[2])
            assert sacks(a) == [(s, e) for s, e, _ in by_time], (seed, step)
            assert a.sack_index(len(m)) == -1
            if rng.below(80) == 0:
                a.clear()
                have = {}


def test_methods_do_not_allocate():
    a = Assembler(6)

    def hot():
        t = 0
        for r in range(3):
            t += a.add(40, 4) + a.add(20, 4) + a.add(60, 4) + a.add(30, 2)
            t += a.add(21, 10)                    # merge, swallowing one
            for k in range(4):
                t += a.sack_index(k) + a.sack_start(k) + a.sack_end(k)
            t += a.covers(22, 2)
            for i in range(a.count()):
                t += a.start(i) + a.end(i)
            t += a.remove_front()
            t += a.add_then_remove_front(0, 20)   # fills the hole at 0
            t += a.add_then_remove_front(0, 5)    # in order, touches nothing
            t += a.add_then_remove_front(90, 1)
            t += a.count() + a.is_empty()
            a.clear()
        a._clock = 0x10000000 - 2                 # renumbering is alloc-free too
        for k in range(6):
            a.add(k * 10, 2)
        a.clear()
        return t

    hot()
    _locked(hot)
    _locked(hot)
