# runtimes: cpython unix wasm
# tcp_emit's steps (emit -> _route, _build -> _head) and the segment they
# are handed in the socket (seg_flags, seg_n, seg_seq): the paths the
# bulk transfers seldom take. A retransmission that reaches the FIN carries
# it again; data the peer's MSS cannot take with the options is cut, the FIN
# held back; SACK blocks appear only while data is out of order.
from tcp_harness import (SEG, SEG_R, SYN, FIN, LOCAL_SEQ, REMOTE_SEQ, send, recv,
                         socket_listen, socket_established)


def _est(**kw):
    d = dict(sack=True, tx=4096, nodelay=True)
    for k in kw:
        d[k] = kw[k]
    s = socket_listen(**d)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, sack_perm=True))
    recv(s)
    send(s, SEG(win=8192))
    assert s.sack_ok
    return s


def test_tail_loss_probe_sends_the_last_data_and_the_fin_again():
    s = _est()
    s.rtte.reset()
    s.rtte.sample(50)
    mss = s.eff_mss
    s.send(b"a" * (mss + 100))
    s.close()
    assert recv(s) == [SEG_R(seq=LOCAL_SEQ + 1, data=b"a" * mss),
                       SEG_R(seq=LOCAL_SEQ + 1 + mss, data=b"a" * 100, flags=FIN)]
    t = s.poll_at(0)
    assert t == 100                            # the probe timeout: 2 * SRTT
    # the probe: the last MSS of data sent, up to and with the FIN
    assert recv(s, now=t) == [SEG_R(seq=LOCAL_SEQ + 101, data=b"a" * mss, flags=FIN)]
    assert s.tlps == 1 and s.retransmits == 1
    send(s, SEG(ack=LOCAL_SEQ + 2 + mss + 100, win=8192), now=t + 1)
    assert s.snd_una == s.snd_max


def test_data_beyond_the_peers_mss_with_sack_blocks_is_cut_and_the_fin_waits():
    s = _est(rx=4096)
    # out of order data: every segment we send now carries a SACK block,
    # 12 more bytes of header than eff_mss allowed for
    send(s, SEG(seq=REMOTE_SEQ + 11, data=b"z" * 10, win=8192))
    got = recv(s)
    assert got and got[-1].sack == [(REMOTE_SEQ + 11, REMOTE_SEQ + 21)]
    mss = s.eff_mss
    s.send(b"b" * mss)
    s.close()
    got = recv(s)
    assert [len(g.data) for g in got] == [s.seg_mss - 12, mss - (s.seg_mss - 12)]
    assert not got[0].flags & FIN and got[1].flags & FIN
    assert b"".join(g.data for g in got) == b"b" * mss


def test_no_sack_option_without_out_of_order_data():
    s = _est()
    s.send(b"c" * 10)
    got = recv(s)
    assert len(got) == 1 and got[0].sack is None


def test_reset_from_abort():
    s = socket_established()
    s.abort()
    got = recv(s)
    assert len(got) == 1 and got[0].seq == (LOCAL_SEQ + 1) & 0xFFFFFFFF
    assert got[0].ack is None and got[0].win == 0 and not got[0].data
