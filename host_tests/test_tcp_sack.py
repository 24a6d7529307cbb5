# runtimes: cpython unix wasm
# Sender SACK scoreboard (RFC 6675): unit cases, a random run against a
# set-of-offsets model with brute-force IsLost / pipe, and allocation checks.
from smolnet.socket.tcp_sack import Scoreboard
from support import heap_locked
from prng import XorShift


def ranges(sb):
    return [(sb.start(i), sb.end(i)) for i in range(sb.count())]


def test_empty():
    sb = Scoreboard(4, mss=100)
    assert sb.is_empty() and sb.count() == 0
    assert sb.sacked_bytes() == 0 and sb.high_sacked() == 0
    assert sb.next_hole(0) == -1 and sb.hole_len == 0
    assert not sb.is_sacked(0, 1)
    assert not sb.is_lost(0)
    assert sb.lost_edge() == 0
    assert sb.pipe(1000, 0) == 1000
    try:
        Scoreboard(0)
        assert False, "max_blocks 0 accepted"
    except ValueError:
        pass


def test_add_merge_and_totals():
    sb = Scoreboard(4, mss=100)
    assert sb.add(300, 400)
    assert sb.add(100, 200)
    assert ranges(sb) == [(100, 200), (300, 400)]
    assert sb.sacked_bytes() == 200 and sb.high_sacked() == 400
    assert sb.add(200, 300)                    # adjacent on both sides
    assert ranges(sb) == [(100, 400)]
    assert sb.sacked_bytes() == 300
    assert sb.add(150, 450)                    # overlap
    assert ranges(sb) == [(100, 450)] and sb.sacked_bytes() == 350
    assert sb.add(-50, 20)                     # clipped at snd_una
    assert sb.add(-50, -10) and sb.add(500, 500) and sb.add(600, 550)
    assert ranges(sb) == [(0, 20), (100, 450)]
    assert sb.sacked_bytes() == 370


def test_full_keeps_the_lowest_ranges():
    sb = Scoreboard(2, mss=100)
    sb.add(100, 200)
    sb.add(300, 400)
    assert not sb.add(500, 600)                # highest: dropped
    assert ranges(sb) == [(100, 200), (300, 400)]
    assert not sb.add(0, 50)                   # lower: (300,400) makes room
    assert ranges(sb) == [(0, 50), (100, 200)]
    assert sb.sacked_bytes() == 150
    assert not sb.add(60, 70)
    assert ranges(sb) == [(0, 50), (60, 70)]
    assert sb.add(50, 60)                      # merging needs no slot
    assert ranges(sb) == [(0, 70)] and sb.sacked_bytes() == 70


def test_ack_advance_shifts_and_trims():
    sb = Scoreboard(4, mss=100)
    sb.add(100, 200)
    sb.add(300, 400)
    sb.add(500, 600)
    sb.on_ack_advance(0)
    sb.on_ack_advance(-5)
    assert ranges(sb) == [(100, 200), (300, 400), (500, 600)]
    sb.on_ack_advance(350)                     # swallows one, trims the next
    assert ranges(sb) == [(0, 50), (150, 250)]
    assert sb.sacked_bytes() == 150 and sb.high_sacked() == 250
    sb.on_ack_advance(250)
    assert sb.is_empty() and sb.sacked_bytes() == 0
    sb.add(10, 20)
    sb.on_ack_advance(10)                      # exactly at a range start
    assert ranges(sb) == [(0, 10)]


def test_is_sacked_and_holes():
    sb = Scoreboard(4, mss=100)
    sb.add(100, 200)
    sb.add(300, 400)
    assert sb.is_sacked(100, 100) and sb.is_sacked(150, 10) and sb.is_sacked(399, 1)
    assert not sb.is_sacked(99, 2) and not sb.is_sacked(150, 100) and not sb.is_sacked(400, 1)
    assert sb.next_hole(0) == 0 and sb.hole_len == 100
    assert sb.next_hole(50) == 50 and sb.hole_len == 50
    assert sb.next_hole(100) == 200 and sb.hole_len == 100
    assert sb.next_hole(250) == 250 and sb.hole_len == 50
    assert sb.next_hole(300) == -1 and sb.hole_len == 0   # above: no hole
    assert sb.next_hole(-7) == 0
    assert sb.sacked_in(150, 350) == 100
    assert sb.sacked_above(150) == 149                      # 151..199, 300..399
    assert sb.sacked_above(400) == 0


def test_is_lost_rfc6675():
    # MSS 100, DupThresh 3
    sb = Scoreboard(8, mss=100)
    sb.add(100, 200)
    sb.add(300, 400)
    # two ranges, 200 bytes above 0: not lost (needs 3 ranges or > 200 bytes)
    assert not sb.is_lost(0) and sb.lost_edge() == 0
    sb.add(450, 451)                           # 3 discontiguous ranges above 0
    assert sb.is_lost(0) and sb.is_lost(99)
    assert not sb.is_lost(100)                 # SACKed bytes are not lost
    assert not sb.is_lost(200)                 # only 2 ranges, 101 bytes above
    assert sb.lost_edge() == 100
    sb = Scoreboard(8, mss=100)
    sb.add(100, 301)                           # one range, 201 bytes: > 2*SMSS
    assert sb.is_lost(0) and sb.lost_edge() == 100
    sb = Scoreboard(8, mss=100)
    sb.add(100, 300)                           # exactly 2*SMSS: not yet
    assert not sb.is_lost(0)
    sb.dupthresh = 2                           # tunable (RFC 6675 section 2)
    assert sb.is_lost(0)


def test_next_lost_and_pipe():
    # 10 segments of 100 bytes sent (high_data 1000); segment 0 and 2 lost,
    # the peer SACKed 1, 3, 4, 5
    sb = Scoreboard(4, mss=100)
    sb.add(100, 200)
    sb.add(300, 600)
    # IsLost(200): one range of 300 bytes above, > 2*SMSS -> lost; so is
    # byte 0 (two ranges, 400 bytes above)
    assert sb.is_lost(200) and sb.is_lost(0)
    assert sb.lost_edge() == 300
    assert sb.next_lost(0) == 0 and sb.hole_len == 100
    assert sb.next_lost(100) == 200 and sb.hole_len == 100
    assert sb.next_lost(300) == -1
    # pipe: not lost and not SACKed: 600..1000 = 400; nothing retransmitted
    assert sb.pipe(1000, 0) == 400
    # after retransmitting segment 0 (high_rxt 100): + 100
    assert sb.pipe(1000, 100) == 500
    # after retransmitting both holes (high_rxt 300): 100 + 100 more
    assert sb.pipe(1000, 300) == 600
    sb.clear()
    assert sb.is_empty() and sb.pipe(1000, 0) == 1000


def _model_ranges(sacked):
    out = []
    for k in sorted(sacked):
        if out and out[-1][1] == k:
            out[-1][1] = k + 1
        else:
            out.append([k, k + 1])
    return [(s, e) for s, e in out]


def _model_lost(sacked, off, mss, dupthresh):
    if off in sacked:
        return False
    above = [x for x in sacked if x > off]
    segs = len([r for r in _model_ranges(sacked) if r[1] - 1 > off])
    return segs >= dupthresh or len(above) > (dupthresh - 1) * mss


def test_random_against_model():
    for seed in (3, 17, 2024, 65537, 9):
        rng = XorShift(seed)
        maxb = 1 + rng.below(5)
        mss = 1 + rng.below(12)
        sb = Scoreboard(maxb, mss=mss)
        sacked = set()
        for step in range(400):
            op = rng.below(6)
            if op < 3:
                a = rng.below(90) - 10
                b = a + rng.below(15) - 2
                trial = set(sacked)
                for x in range(max(a, 0), b):
                    trial.add(x)
                m = _model_ranges(trial)
                kept = m[:maxb]
                want = len(m) <= maxb
                assert sb.add(a, b) == want, (seed, step)
                sacked = set()
                for s, e in kept:
                    for x in range(s, e):
                        sacked.add(x)
            elif op == 3:
                n = rng.below(20) - 2
                sb.on_ack_advance(n)
                if n > 0:
                    sacked = set(x - n for x in sacked if x >= n)
            elif op == 4:
                off = rng.below(100)
                size = 1 + rng.below(10)
                want = all((x in sacked) for x in range(off, off + size))
                assert sb.is_sacked(off, size) == want
            else:
                frm = rng.below(100) - 5
                high = max(sacked) + 1 if sacked else 0
                want = -1
                for x in range(max(frm, 0), high):
                    if x not in sacked:
                        want = x
                        break
                got = sb.next_hole(frm)
                assert got == want, (seed, step, got, want)
                if want >= 0:
                    ln = 0
                    while want + ln not in sacked:
                        ln += 1
                    assert sb.hole_len == ln
            if rng.below(100) == 0:
                sb.clear()
                sacked = set()
            m = _model_ranges(sacked)
            assert ranges(sb) == m, (seed, step)
            assert sb.sacked_bytes() == len(sacked)
            assert sb.high_sacked() == (m[-1][1] if m else 0)
            # IsLost for every byte, and the lost edge it implies
            high = m[-1][1] if m else 0
            edge = 0
            for off in range(high + 2):
                lost = _model_lost(sacked, off, mss, 3)
                assert sb.is_lost(off) == lost, (seed, step, off)
                if lost:
                    edge = off + 1
            assert edge == 0 or sb.lost_edge() >= edge
            for off in range(sb.lost_edge(), high + 2):
                assert off in sacked or not _model_lost(sacked, off, mss, 3)
            # pipe by RFC 6675 SetPipe, octet by octet
            hd = high + rng.below(20)
            hr = rng.below(hd + 5)
            want = 0
            for off in range(hd):
                if off not in sacked:
                    if not _model_lost(sacked, off, mss, 3):
                        want += 1
                    if off < hr:
                        want += 1
            assert sb.pipe(hd, hr) == want, (seed, step)


def test_methods_do_not_allocate():
    sb = Scoreboard(4, mss=100)

    def hot():
        t = 0
        for rep in range(3):
            sb.add(100, 200)
            sb.add(300, 400)
            sb.add(500, 600)
            sb.add(700, 800)
            t += sb.add(900, 1000)             # full: dropped
            t += sb.add(50, 60)                # full: highest dropped
            t += sb.add(150, 350)              # merge
            t += sb.is_sacked(120, 10) + sb.is_lost(10) + sb.is_lost(450)
            t += sb.next_hole(0) + sb.hole_len + sb.next_lost(0) + sb.hole_len
            t += sb.lost_edge() + sb.pipe(1200, 100) + sb.sacked_above(30)
            t += sb.sacked_bytes() + sb.high_sacked() + sb.count()
            for i in range(sb.count()):
                t += sb.start(i) + sb.end(i)
            sb.on_ack_advance(120)
            sb.on_ack_advance(10000)
            sb.clear()
        return t

    hot()
    heap_locked(hot)
    heap_locked(hot)
