# runtimes: cpython unix wasm
# RACK loss detection (RFC 8985 section 6) on top of SACK recovery: a
# segment is lost once one sent after it is delivered and the reordering
# window has passed, so a lost retransmission goes again without an RTO, and
# losses too few for three duplicate ACKs start recovery after the window.
# Reordering within the window is not loss; tail loss probes work as before.
from tcp_harness import (SEG, SEG_R, SYN, LOCAL_SEQ, REMOTE_SEQ, send, recv, expect,
                         expect_none, socket_listen)

W = 8192


def _est(**kw):
    d = dict(sack=True, tx=16384, nodelay=True)
    for k in kw:
        d[k] = kw[k]
    s = socket_listen(**d)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, sack_perm=True))
    recv(s)
    send(s, SEG(win=W))
    assert s.sack_ok
    return s


def _segments(s, n, size=100, now=0, first=0):
    for k in range(n):
        s.send(bytes([65 + first + k]) * size)
        recv(s, now=now)


def _ack(s, n, blocks=None, now=0):
    sack = None
    if blocks:
        sack = [(LOCAL_SEQ + 1 + a, LOCAL_SEQ + 1 + b) for a, b in blocks]
    send(s, SEG(ack=LOCAL_SEQ + 1 + n, win=W, sack=sack), now=now)


def _seg(off, data):
    return SEG_R(seq=LOCAL_SEQ + 1 + off, data=data, win=64)


def test_lost_retransmission_resent_without_rto():
    s = _est()
    _segments(s, 5)                                 # A..E at 0; B lost
    _ack(s, 100, now=10)
    _ack(s, 100, [(200, 300)], now=10)
    _ack(s, 100, [(200, 400)], now=10)
    _ack(s, 100, [(200, 500)], now=10)              # third duplicate
    expect(s, [_seg(100, b"B" * 100)], now=10)      # fast retransmit of B
    _segments(s, 1, now=11, first=5)                # F, sent after B's copy
    expect_none(s, now=19)
    # F arrives but B's copy does not: F was sent later, so the copy is
    # lost (in recovery the reordering window is 0, RFC 8985 6.2 step 4)
    _ack(s, 100, [(200, 600)], now=20)
    expect(s, [_seg(100, b"B" * 100)], now=20)
    # marked twice: the original when recovery began, now the copy
    assert s.timeouts == 0 and s.rack.marked == 2
    _ack(s, 600, now=30)
    assert not s.in_recovery and s.rack.count() == 0


def test_without_rack_the_lost_retransmission_waits_for_the_rto():
    # the same losses with the send times forgotten (RFC 6675 alone):
    # HighRxt is past B, so only the RTO would send it again
    s = _est()
    _segments(s, 5)
    for blocks in (None, [(200, 300)], [(200, 400)], [(200, 500)]):
        _ack(s, 100, blocks, now=10)
    recv(s, now=10)
    _segments(s, 1, now=11, first=5)
    s.rack.clear()                                  # forget the send times
    _ack(s, 100, [(200, 600)], now=20)
    expect_none(s, now=20)
    assert s.poll_at(20) > 100                      # the RTO, not RACK


def test_first_loss_detected_after_reordering_window():
    s = _est()
    s.rtte.reset()
    s.rtte.sample(10)                               # SRTT 10 (reo_wnd <= SRTT)
    _segments(s, 3)                                 # A B C at 0; B lost
    _ack(s, 100, now=10)                            # RTT 10 ms
    _ack(s, 100, [(200, 300)], now=10)              # C SACKed: one dup only
    assert not s.in_recovery
    # B waits RACK.rtt + reo_wnd = 10 + min_RTT/4 = 12 ms from its send
    assert s.poll_at(10) == 2
    expect_none(s, now=11)
    expect(s, [_seg(100, b"B" * 100)], now=12)
    assert s.in_recovery and s.timeouts == 0 and s.recoveries == 1


def test_reordering_within_window_is_not_loss():
    s = _est()
    _segments(s, 3)
    _ack(s, 100, now=10)
    _ack(s, 100, [(200, 300)], now=10)              # C before B ...
    _ack(s, 300, now=11)                            # ... and B 1 ms later
    expect_none(s, now=12)
    assert not s.in_recovery and s.rack.marked == 0
    assert s.rack.reord                             # B came below C, not resent
    # from now on the window is at least 1 ms even at a zero min_RTT
    assert s.rack.reo_wnd(False, 10) >= 1


def test_spurious_mark_undone_by_sack():
    s = _est()
    _segments(s, 3)
    _ack(s, 100, now=10)
    _ack(s, 100, [(200, 300)], now=10)
    s.rack.detect(12, 0)                            # B marked lost ...
    assert s.rack.lost_n == 1
    _ack(s, 100, [(100, 300)], now=12)              # ... then SACKed after all
    assert s.rack.lost_n == 0


def test_tail_loss_probe_still_first_and_its_sack_starts_recovery():
    s = _est(tx=4096)
    s.rtte.reset()
    s.rtte.sample(50)                               # SRTT 50, RTO 200
    s.send(b"a" * 536 + b"b" * 536 + b"c" * 536)
    assert len(recv(s)) == 3
    assert not s.rack.timer_on
    assert s.poll_at(0) == 100                      # PTO = 2 * SRTT (RFC 8985 7.2)
    got = recv(s, now=100)                          # the probe: the last segment
    assert s.tlps == 1 and got[0].seq == LOCAL_SEQ + 1 + 2 * 536
    # the probe arrives, the first two were lost: sent 100 ms before it,
    # far more than RACK.rtt (10) + reo_wnd before, so lost at once, and
    # recovery starts without an RTO
    _ack(s, 0, [(2 * 536, 3 * 536)], now=110)
    assert s.poll_at(110) == 0
    got = recv(s, now=110)
    assert got[0].seq == LOCAL_SEQ + 1 and len(got[0].data) == 536
    assert s.in_recovery and s.timeouts == 0 and s.rack.marked == 2


def test_rack_records_wrap_and_merge_when_full():
    # a ring of 8 records: more segments than that merge into the last one
    s = _est(tx=1024)
    assert s.rack.cap == 8
    _segments(s, 10, size=50)
    assert s.rack.count() == 8
    assert s.rack.end(7) == 1 + 500                 # the last record took the rest
    _ack(s, 200, now=5)
    assert s.rack.count() == 4 and s.rack.base == 201
    _segments(s, 4, size=50, now=6, first=10)
    assert s.rack.count() == 8
    _ack(s, 700, now=9)
    assert s.rack.count() == 0


def test_rack_false_finds_losses_as_rfc6675_and_the_rto_resends_the_lost_copy():
    # what a build without tcp_rack.py does (firmware/manifest.py's rack
    # option): three duplicates start recovery; B's lost copy goes again
    # only at the RTO, and the connection completes
    s = _est(rack=False)
    from smolnet.socket.tcp_sack import NO_RACK
    assert s.rack is NO_RACK
    _segments(s, 5)
    _ack(s, 100, now=10)
    _ack(s, 100, [(200, 300)], now=10)
    _ack(s, 100, [(200, 400)], now=10)
    _ack(s, 100, [(200, 500)], now=10)              # third duplicate
    expect(s, [_seg(100, b"B" * 100)], now=10)      # fast retransmit of B
    _segments(s, 1, now=11, first=5)
    _ack(s, 100, [(200, 600)], now=20)
    expect_none(s, now=20)
    at = 20 + s.poll_at(20)                         # (poll_at: ms from now)
    assert at > 100 and s.timeouts == 0
    assert recv(s, now=at - 1) == []
    got = recv(s, now=at)                           # the RTO: go-back-N from B
    assert got[0].seq == LOCAL_SEQ + 1 + 100 and bytes(got[0].data[:1]) == b"B"
    assert s.timeouts == 1
    _ack(s, 600, now=at + 10)
    assert not s.in_recovery and s.snd_una == s.snd_max


def test_rack_false_a_tail_probe_still_recovers_a_lost_tail():
    s = _est(tx=4096, rack=False)
    s.rtte.reset()
    s.rtte.sample(50)
    s.send(b"a" * 536 + b"b" * 536 + b"c" * 536)
    assert len(recv(s)) == 3
    assert s.poll_at(0) == 100                      # PTO = 2 * SRTT (RFC 8985 7.2)
    got = recv(s, now=100)                          # the probe: the last segment
    assert s.tlps == 1 and got[0].seq == LOCAL_SEQ + 1 + 2 * 536
    _ack(s, 3 * 536, now=110)                       # only the tail was lost
    assert s.snd_una == s.snd_max and s.timeouts == 0
