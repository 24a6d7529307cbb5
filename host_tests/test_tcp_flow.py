# runtimes: cpython unix wasm
# Flow control: window scaling (RFC 7323), zero-window probes and persist
# backoff, sender and receiver silly-window avoidance (RFC 1122 4.2.3.3-4),
# Nagle (RFC 896) and TCP_NODELAY, delayed ACK (RFC 1122 4.2.3.2).
from tcp_harness import (SEG, SEG_R, SYN, FIN, LOCAL_SEQ, REMOTE_SEQ, BASE_MSS,
                         send, recv, expect, expect_none, syn_ack, socket_listen,
                         socket_established, new_socket)
import smolnet.socket.tcp as tcp


def _established_ws(peer_ws, rx, **kw):
    s = socket_listen(window_scale=True, rx=rx, **kw)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, ws=peer_ws))
    return s


def test_window_scale_shift_from_buffer_size():
    for size, shift in ((64, 0), (65535, 0), (65536, 1), (131071, 1), (131072, 2),
                        (1 << 18, 3), (1 << 20, 5)):
        s = new_socket(rx=size, window_scale=True)
        assert s.rcv_ws_want == shift, (size, s.rcv_ws_want)


def test_window_scale_negotiated():
    s = _established_ws(2, 1 << 18)
    expect(s, [syn_ack(s, ws=3, win=65535)])
    send(s, SEG(win=100))
    assert s.state == tcp.ESTABLISHED
    assert s.snd_wnd == 400
    send(s, SEG(data=b"12345678", win=100))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 9, win=((1 << 18) - 8) >> 3)])


def test_window_scale_zero_peer_shift():
    s = _established_ws(0, 1 << 18)
    expect(s, [syn_ack(s, ws=3, win=65535)])
    send(s, SEG(win=1000))
    assert s.snd_wnd == 1000 and s.rcv_ws == 3


def test_window_scale_needs_both_sides():
    s = socket_listen(window_scale=True, rx=1 << 18)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN))
    expect(s, [syn_ack(s, win=65535)])
    send(s, SEG(win=100))
    assert s.snd_wnd == 100
    send(s, SEG(data=b"ab", win=100))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 3, win=65535)])


def test_window_scale_disabled_locally():
    s = socket_listen(window_scale=False, rx=1 << 18)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, ws=5))
    expect(s, [syn_ack(s, win=65535)])
    send(s, SEG(win=100))
    assert s.snd_wnd == 100


def test_window_scale_large_shift_clamped():
    s = _established_ws(14, 1 << 18)
    recv(s)
    send(s, SEG(win=65535))
    assert s.snd_wnd == 0x10000000      # WND_MAX: never a boxed int


def test_syn_window_is_not_scaled():
    s = _established_ws(4, 1 << 18)
    assert s.snd_wnd == 256             # SYN's window taken as is


# --- zero window / persist ---------------------------------------------------------
def test_zero_window_probe():
    s = socket_established()
    send(s, SEG(win=0))
    s.send(b"abc")
    expect_none(s)
    rto = s.rto_ms()
    assert s.poll_at(0) == rto
    expect_none(s, now=rto - 1)
    expect(s, [SEG_R(data=b"a")], now=rto)
    send(s, SEG(win=0), now=rto + 1)
    expect_none(s, now=rto + 1)
    # backoff: twice the interval, then four times
    expect_none(s, now=3 * rto - 1)
    expect(s, [SEG_R(data=b"a")], now=3 * rto)
    expect_none(s, now=7 * rto - 1)
    expect(s, [SEG_R(data=b"a")], now=7 * rto)
    # the window opens: the probe byte goes again with the rest
    send(s, SEG(win=256), now=7 * rto + 5)
    expect(s, [SEG_R(data=b"abc")], now=7 * rto + 5)


def test_zero_window_probe_accepted():
    s = socket_established()
    send(s, SEG(win=0))
    s.send(b"abc")
    expect_none(s)
    rto = s.rto_ms()
    expect(s, [SEG_R(data=b"a")], now=rto)
    send(s, SEG(ack=LOCAL_SEQ + 2, win=0), now=rto + 1)
    assert s.send_pending() == 2
    expect_none(s, now=rto + 1)
    send(s, SEG(ack=LOCAL_SEQ + 2, win=100), now=rto + 2)
    expect(s, [SEG_R(seq=LOCAL_SEQ + 2, data=b"bc")], now=rto + 2)


def test_persist_backoff_capped():
    s = socket_established(rto_max_ms=1000)
    send(s, SEG(win=0))
    s.send(b"x")
    expect_none(s)
    t = 0
    times = []
    for _ in range(6):
        t += s.poll_at(t)
        got = recv(s, now=t)
        assert got == [SEG_R(data=b"x")]
        times.append(t)
    assert times == [200, 600, 1400, 2400, 3400, 4400]


def test_zero_window_no_user_timeout():
    s = socket_established(user_timeout_ms=1000)
    send(s, SEG(win=0))
    s.send(b"x")
    expect_none(s)
    t = 0
    for _ in range(10):
        t += s.poll_at(t)
        recv(s, now=t)
        send(s, SEG(win=0), now=t)
    assert t > 5000 and s.state == tcp.ESTABLISHED


# --- sender SWS avoidance -----------------------------------------------------------
def test_sender_sws_waits_for_half_window():
    s = socket_established(tx=512)
    send(s, SEG(win=10))
    s.send(b"x" * 100)
    expect_none(s)                   # 10 < max window (256) / 2
    send(s, SEG(win=200))
    expect(s, [SEG_R(data=b"x" * 100)])


def test_sender_sws_half_window_sends():
    s = socket_established(tx=512)
    send(s, SEG(win=130))
    s.send(b"x" * 300)
    expect(s, [SEG_R(data=b"x" * 130)])


def test_sender_sws_override_timer():
    s = socket_established(tx=512)
    send(s, SEG(win=10))
    s.send(b"x" * 100)
    expect_none(s)
    rto = s.rto_ms()
    expect(s, [SEG_R(data=b"x" * 10)], now=rto)


# --- receiver SWS avoidance / window updates ------------------------------------------
def test_receiver_window_update_threshold():
    s = socket_established(rx=64)
    send(s, SEG(data=b"x" * 64))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 65, win=0)])
    b = bytearray(64)
    assert s.recv_into(b, 0, 10) == 10
    expect_none(s)                   # 10 < min(64 / 2, MSS)
    assert s.poll_at(0) == -1
    assert s.recv_into(b, 0, 22) == 22
    assert s.poll_at(0) == 0
    expect(s, [SEG_R(ack=REMOTE_SEQ + 65, win=32)])


def test_receiver_window_not_advanced_by_small_reads():
    s = socket_established(rx=64)
    send(s, SEG(data=b"x" * 64))
    recv(s)
    s.recv_into(bytearray(10))
    s.send(b"q")
    expect(s, [SEG_R(data=b"q", ack=REMOTE_SEQ + 65, win=0)])


def test_receiver_window_never_shrinks():
    s = socket_established(rx=64)
    send(s, SEG(data=b"x" * 10))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 11, win=54)])
    # right edge stays at REMOTE_SEQ + 65 while data keeps coming
    send(s, SEG(seq=REMOTE_SEQ + 11, data=b"y" * 20))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 31, win=34)])


def _segments(s, k, first=0):
    """k in-order 536-byte segments from byte `first`; what the socket sent."""
    out = []
    for i in range(first, first + k):
        send(s, SEG(seq=REMOTE_SEQ + 1 + i * 536, data=b"d" * 536))
        out += recv(s)
    return out


def test_one_ack_per_receive_cycle():
    # the read after an ACK opens the window by more than the SWS amount
    # (min(8192 / 2, 1460)), but the window that ACK announced still lets the
    # peer send two full segments, and the read does not double it: no window
    # update of its own; the next ACK carries the latest window
    s = socket_established(rx=8192, ack_delay_ms=40)
    got = _segments(s, 4)
    assert got == [SEG_R(ack=REMOTE_SEQ + 1073, win=8192 - 1072),
                   SEG_R(ack=REMOTE_SEQ + 2145, win=8192 - 2144)]
    assert s.recv_into(bytearray(4096)) == 2144
    expect_none(s)
    assert s.poll_at(0) == -1
    assert _segments(s, 2, 4) == [SEG_R(ack=REMOTE_SEQ + 3217, win=8192 - 1072)]


def test_window_update_when_the_read_doubles_the_window():
    # RFC 1122 4.2.3.3 and Linux's rule: the read at least doubles the window
    # still open to the peer, which may be waiting for it
    s = socket_established(rx=8192, ack_delay_ms=40)
    got = _segments(s, 10)
    assert got[-1] == SEG_R(ack=REMOTE_SEQ + 5361, win=8192 - 5360)
    assert s.recv_into(bytearray(8192)) == 5360
    expect(s, [SEG_R(ack=REMOTE_SEQ + 5361, win=8192)])


def test_window_update_when_the_peer_cannot_send_two_segments():
    # the window announced is below two full segments: the peer cannot draw
    # the next ACK (RFC 5681 4.2), so the update goes at once
    s = socket_established(rx=4096, ack_delay_ms=40)
    got = _segments(s, 6)
    assert got[-1] == SEG_R(ack=REMOTE_SEQ + 3217, win=4096 - 3216)
    assert s.recv_into(bytearray(1460)) == 1460
    expect(s, [SEG_R(ack=REMOTE_SEQ + 3217, win=880 + 1460)])


# --- Nagle ---------------------------------------------------------------------
def test_nagle_holds_small_segments():
    s = socket_established()
    s.send(b"a")
    expect(s, [SEG_R(data=b"a")])
    s.send(b"b")
    expect_none(s)
    s.send(b"c")
    expect_none(s)
    send(s, SEG(ack=LOCAL_SEQ + 2))
    expect(s, [SEG_R(seq=LOCAL_SEQ + 2, data=b"bc")])


def test_nodelay_sends_at_once():
    s = socket_established(nodelay=True)
    s.send(b"a")
    expect(s, [SEG_R(data=b"a")])
    s.send(b"b")
    expect(s, [SEG_R(seq=LOCAL_SEQ + 2, data=b"b")])
    s.nodelay = False
    s.send(b"c")
    expect_none(s)


def test_nagle_full_segments_go():
    s = socket_established(tx=4096)
    send(s, SEG(win=4096))
    s.send(b"a")
    expect(s, [SEG_R(data=b"a")])
    s.send(b"x" * 1000)
    got = recv(s)
    assert [len(g.data) for g in got] == [536]   # full MSS goes; the tail waits
    send(s, SEG(ack=LOCAL_SEQ + 2 + 536, win=4096))
    got = recv(s)
    assert [len(g.data) for g in got] == [464]


def test_nagle_does_not_hold_fin():
    s = socket_established()
    s.send(b"a")
    expect(s, [SEG_R(data=b"a")])
    s.send(b"b")
    s.close()
    expect(s, [SEG_R(seq=LOCAL_SEQ + 2, data=b"b", flags=FIN)])


# --- delayed ACK ----------------------------------------------------------------
def test_delayed_ack_timer():
    s = socket_established(rx=4096, ack_delay_ms=40)
    send(s, SEG(data=b"x" * 100), now=5)
    expect_none(s, now=5)
    assert s.poll_at(5) == 40
    expect_none(s, now=44)
    expect(s, [SEG_R(ack=REMOTE_SEQ + 101, win=4096 - 100)], now=45)
    expect_none(s, now=100)


def test_delayed_ack_every_second_full_segment():
    s = socket_established(rx=4096, ack_delay_ms=40)
    send(s, SEG(win=4096))
    send(s, SEG(data=b"x" * 536))
    expect_none(s)
    send(s, SEG(seq=REMOTE_SEQ + 537, data=b"y" * 536))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 1073, win=4096 - 1072)])


def test_delayed_ack_piggybacks_on_data():
    s = socket_established(rx=4096, ack_delay_ms=40)
    send(s, SEG(data=b"q"))
    s.send(b"answer")
    expect(s, [SEG_R(data=b"answer", ack=REMOTE_SEQ + 2, win=4095)])
    expect_none(s, now=100)


def test_delayed_ack_not_for_fin():
    s = socket_established(rx=4096, ack_delay_ms=40)
    send(s, SEG(data=b"bye", flags=FIN))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 5, win=4093)])


def test_no_delayed_ack_when_disabled():
    s = socket_established(rx=4096, ack_delay_ms=0)
    send(s, SEG(data=b"x"))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 2, win=4095)])


# --- MSS and segmentation ----------------------------------------------------------
def test_segments_split_at_peer_mss():
    s = socket_listen(tx=256, nodelay=True)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, mss=50))
    recv(s)
    send(s, SEG(win=1000))
    s.send(bytes(range(120)))
    got = recv(s)
    assert [len(g.data) for g in got] == [50, 50, 20]
    assert got[1].seq == LOCAL_SEQ + 51 and got[2].seq == LOCAL_SEQ + 101


def test_mss_capped_by_own_mtu():
    s = socket_listen(tx=4096)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, mss=9000))
    recv(s)
    send(s, SEG(win=8000))
    s.send(b"z" * 3000)
    got = recv(s)
    assert [len(g.data) for g in got][:2] == [BASE_MSS, BASE_MSS]


def test_mss_default_536():
    s = socket_established(tx=2048, nodelay=True)
    send(s, SEG(win=2000))
    s.send(b"z" * 1000)
    got = recv(s)
    assert [len(g.data) for g in got] == [536, 464]


def test_syn_mss_from_link_mtu():
    s = socket_listen()
    s._test_iface.ip_mtu = 576
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN))
    expect(s, [syn_ack(s, mss=536)])
