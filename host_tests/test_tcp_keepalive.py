# runtimes: cpython unix wasm
# Keepalive (RFC 9293 3.8.4, RFC 1122 4.2.3.6) and the user timeout
# (RFC 9293 3.8.3 / RFC 5482).
from tcp_harness import (SEG, SEG_R, LOCAL_SEQ, REMOTE_SEQ, send, recv, expect,
                         expect_none, socket_established, raises)
import smolnet.socket.tcp as tcp
import smolnet.socket.errno as errno


def test_no_keepalive_by_default():
    s = socket_established()
    assert s.poll_at(0) == -1
    expect_none(s, now=10 ** 6)


def test_keepalive_probe_after_idle():
    s = socket_established(keepalive_ms=1000, keepalive_interval_ms=100)
    assert s.poll_at(0) == 1000
    expect_none(s, now=999)
    expect(s, [SEG_R(seq=LOCAL_SEQ)], now=1000)     # SND.UNA - 1, no data
    assert s.poll_at(1000) == 100
    send(s, SEG(), now=1050)                         # the peer answers
    assert s.poll_at(1050) == 1000
    expect_none(s, now=2049)
    expect(s, [SEG_R(seq=LOCAL_SEQ)], now=2050)


def test_keepalive_gives_up():
    s = socket_established(keepalive_ms=1000, keepalive_interval_ms=100, keepalive_count=3)
    expect(s, [SEG_R(seq=LOCAL_SEQ)], now=1000)
    expect(s, [SEG_R(seq=LOCAL_SEQ)], now=1100)
    expect(s, [SEG_R(seq=LOCAL_SEQ)], now=1200)
    expect_none(s, now=1300)
    assert s.state == tcp.CLOSED and s.error == errno.ETIMEDOUT
    raises(errno.ETIMEDOUT, s.recv_into, bytearray(4))


def test_keepalive_idle_counts_from_last_segment():
    s = socket_established(keepalive_ms=1000)
    send(s, SEG(data=b"x"), now=700)
    recv(s, now=700)
    expect_none(s, now=1500)
    expect(s, [SEG_R(seq=LOCAL_SEQ, ack=REMOTE_SEQ + 2, win=63)], now=1700)


def test_keepalive_not_while_data_outstanding():
    s = socket_established(keepalive_ms=1000, user_timeout_ms=0)
    s.send(b"abc")
    recv(s)
    got = recv(s, now=1000)
    assert all(len(g.data) == 3 for g in got)        # retransmissions, not probes


def test_keepalive_enabled_later():
    s = socket_established()
    s.keepalive_ms = 500
    expect(s, [SEG_R(seq=LOCAL_SEQ)], now=500)


def test_user_timeout_aborts_unacked_data():
    s = socket_established(user_timeout_ms=1500)
    s.send(b"abc")
    expect(s, [SEG_R(data=b"abc")], now=0)
    t = 0
    while s.state != tcp.CLOSED and t < 10000:
        d = s.poll_at(t)
        assert d >= 0
        t += d
        recv(s, now=t)
    assert s.state == tcp.CLOSED and s.error == errno.ETIMEDOUT
    assert 1500 <= t <= 3000


def test_user_timeout_restarts_on_progress():
    s = socket_established(user_timeout_ms=1500)
    s.send(b"abc")
    recv(s)
    recv(s, now=200)
    send(s, SEG(ack=LOCAL_SEQ + 2), now=1000)        # partial progress
    recv(s, now=1000)
    t = 1000
    for _ in range(20):
        if s.state == tcp.CLOSED:
            break
        t += s.poll_at(t)
        recv(s, now=t)
    assert s.error == errno.ETIMEDOUT and t >= 2500
