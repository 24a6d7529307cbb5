# runtimes: cpython unix wasm
# The peer's SACK blocks drive retransmission (RFC 2018, RFC 6675): only the
# holes go again, SACKed data never does (until an RTO clears the board).
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


def _segments(s, n, size=100):
    for k in range(n):
        s.send(bytes([65 + k]) * size)
        recv(s)


def _ack(s, n, blocks=None, now=0):
    sack = None
    if blocks:
        sack = [(LOCAL_SEQ + 1 + a, LOCAL_SEQ + 1 + b) for a, b in blocks]
    send(s, SEG(ack=LOCAL_SEQ + 1 + n, win=W, sack=sack), now=now)


def test_only_the_hole_is_retransmitted():
    s = _est()
    _segments(s, 5)                                 # A B C D E
    _ack(s, 100)
    _ack(s, 100, [(200, 300)])
    _ack(s, 100, [(200, 400)])
    expect_none(s)
    _ack(s, 100, [(200, 500)])                      # third duplicate
    expect(s, [SEG_R(seq=LOCAL_SEQ + 101, data=b"B" * 100, win=64)])
    assert s.in_recovery
    _ack(s, 500)
    assert not s.in_recovery
    expect_none(s)


def test_sack_lost_detection_without_three_dupacks():
    # RFC 6675 IsLost: more than 2 * SMSS SACKed above the hole marks it lost
    s = _est()
    s.send(b"a" * 536)
    s.send(b"b" * 536 * 3)
    recv(s)
    _ack(s, 0, [(536, 4 * 536)])
    assert s.in_recovery
    expect(s, [SEG_R(data=b"a" * 536, win=64)])


def test_two_holes_both_resent_nothing_else():
    s = _est()
    _segments(s, 6)                                 # A..F; B and D lost
    _ack(s, 100)
    _ack(s, 100, [(200, 300)])
    _ack(s, 100, [(400, 500), (200, 300)])
    _ack(s, 100, [(400, 600), (200, 300)])
    got = recv(s)
    assert [g.data for g in got] == [b"B" * 100, b"D" * 100]
    assert [g.seq for g in got] == [LOCAL_SEQ + 101, LOCAL_SEQ + 301]
    _ack(s, 600)
    assert not s.in_recovery


def test_new_data_during_recovery_when_pipe_allows():
    s = _est()
    _segments(s, 5)
    for blocks in (None, [(200, 300)], [(200, 400)], [(200, 500)]):
        _ack(s, 100, blocks)
    recv(s)                                          # B again
    s.send(b"Z" * 100)
    got = recv(s)
    assert [g.data for g in got] == [b"Z" * 100]     # RFC 6675 NextSeg rule 2


def test_dsack_and_bogus_blocks_ignored():
    s = _est()
    _segments(s, 3)
    _ack(s, 100, [(0, 50)])                          # below SND.UNA (D-SACK)
    _ack(s, 100, [(500, 900)])                       # beyond anything sent
    assert s.sb.sacked_bytes() == 0
    assert not s.in_recovery


def test_rto_forgets_sack_and_resends_from_una():
    s = _est()
    _segments(s, 3)
    _ack(s, 0, [(100, 300)])
    # RACK resends A once the reordering window passes (test_tcp_rack.py);
    # that copy is lost too and no ACK comes: the RTO follows
    t = 0
    while s.timeouts == 0:
        t += s.poll_at(t)
        got = recv(s, now=t)
    assert got[0].seq == LOCAL_SEQ + 1
    assert s.sb.sacked_bytes() == 0                  # RFC 2018 8


def test_partial_ack_in_sack_recovery():
    s = _est()
    _segments(s, 6)
    _ack(s, 100)
    _ack(s, 100, [(200, 300)])
    _ack(s, 100, [(200, 300), (400, 500)])
    _ack(s, 100, [(200, 300), (400, 600)])
    recv(s)
    _ack(s, 300, [(400, 600)])                       # B arrived, D still out
    assert s.in_recovery
    got = recv(s)
    assert all(g.data != b"E" * 100 and g.data != b"F" * 100 for g in got)
    _ack(s, 600)
    assert not s.in_recovery


def test_sack_ignored_when_not_negotiated():
    s = socket_listen(sack=False, tx=4096, nodelay=True)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, sack_perm=True))
    recv(s)
    send(s, SEG(win=W))
    _segments(s, 3)
    _ack(s, 0, [(100, 300)])
    # not negotiated: no scoreboard was even made, so nothing was SACKed
    assert s.sb is None and not s.sack_ok
