# runtimes: cpython unix wasm
# RFC 9293 state machine: every state's answer to SYN/ACK/FIN/RST/data, in
# and out of window (smoltcp tcp.rs style: exact segments in, exact out).
from tcp_harness import (SEG, SEG_R, SYN, FIN, RST, LOCAL_SEQ, REMOTE_SEQ, LOCAL_PORT,
                         REMOTE_PORT, LOCAL_ADDR, REMOTE_ADDR, OTHER_ADDR, BASE_MSS,
                         new_socket, send, recv, expect, expect_none, syn_ack,
                         socket_listen, socket_syn_received, socket_syn_sent,
                         socket_established, socket_fin_wait_1, socket_fin_wait_2,
                         socket_close_wait, socket_last_ack, socket_closing,
                         socket_time_wait, raises, recv_all, iface_of)
import smolnet.socket.tcp as tcp
import smolnet.socket.errno as errno


# --- CLOSED -----------------------------------------------------------------
def test_closed_rejects():
    s = new_socket()
    assert s.state == tcp.CLOSED
    assert send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN), accept=False) == 0


def test_closed_close_is_noop():
    s = new_socket()
    s.close()
    assert s.state == tcp.CLOSED
    expect_none(s)


def test_closed_rejects_after_listen_close():
    s = socket_listen()
    s.close()
    assert s.state == tcp.CLOSED
    assert send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN), accept=False) == 0


def test_closed_send_recv_raise():
    s = new_socket()
    raises(errno.ENOTCONN, s.send, b"x")
    raises(errno.ENOTCONN, s.recv_into, bytearray(4))
    assert s.poll_at(0) == -1


# --- LISTEN -----------------------------------------------------------------
def test_listen_syn():
    s = socket_listen()
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN))
    assert s.state == tcp.SYN_RECEIVED
    assert s.remote_port == REMOTE_PORT
    assert bytes(s.remote_addr[:4]) == REMOTE_ADDR
    assert bytes(s.local_addr[:4]) == LOCAL_ADDR
    expect(s, [SEG_R(seq=LOCAL_SEQ, ack=REMOTE_SEQ + 1, flags=SYN, mss=BASE_MSS)])


def test_listen_rejects_ack():
    # 3.10.7.2: an ACK to a listener earns a RST; the Interface sends it when
    # no socket accepts the segment
    s = socket_listen()
    assert send(s, SEG(seq=REMOTE_SEQ, ack=LOCAL_SEQ, flags=SYN), accept=False) == 0
    assert send(s, SEG(seq=REMOTE_SEQ, ack=LOCAL_SEQ), accept=False) == 0
    assert s.state == tcp.LISTEN


def test_listen_rst_ignored():
    s = socket_listen()
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=RST))
    assert s.state == tcp.LISTEN
    expect_none(s)


def test_listen_plain_segment_dropped():
    s = socket_listen()
    send(s, SEG(seq=REMOTE_SEQ, ack=None, data=b"abc"))
    assert s.state == tcp.LISTEN
    expect_none(s)


def test_listen_wrong_port_or_address():
    s = socket_listen()
    assert send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, dport=81), accept=False) == 0
    s2 = new_socket()
    s2.listen(LOCAL_PORT, OTHER_ADDR)
    assert send(s2, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN), accept=False) == 0
    assert send(s2, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN), dst=OTHER_ADDR) == 1


def test_listen_validation():
    s = new_socket()
    raises(errno.EINVAL, s.listen, 0)
    raises(errno.EINVAL, s.listen, 65536)
    s.listen(80)
    raises(errno.EINVAL, s.listen, 80)


def test_listen_syn_with_data_acks_only_syn():
    s = socket_listen()
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, data=b"abcdef"))
    expect(s, [SEG_R(seq=LOCAL_SEQ, ack=REMOTE_SEQ + 1, flags=SYN, mss=BASE_MSS)])
    assert s.recv_avail() == 0


def test_listen_syn_fin_ignores_fin():
    s = socket_listen()
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN | FIN))
    expect(s, [SEG_R(seq=LOCAL_SEQ, ack=REMOTE_SEQ + 1, flags=SYN, mss=BASE_MSS)])


def test_listen_options_echoed():
    s = socket_listen(timestamps=True, sack=True, window_scale=True, rx=1 << 18)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, mss=1400, ws=7, sack_perm=True,
                ts=(500, 0)), now=7)
    expect(s, [SEG_R(seq=LOCAL_SEQ, ack=REMOTE_SEQ + 1, flags=SYN, mss=BASE_MSS, ws=3,
                     sack_perm=True, ts=(7, 500), win=65535)], now=7)
    assert s.snd_ws == 7 and s.rcv_ws == 3 and s.sack_ok and s.ts_ok


def test_listen_options_not_offered_not_used():
    s = socket_listen(timestamps=True, sack=True, window_scale=True, rx=1 << 18)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN))
    expect(s, [SEG_R(seq=LOCAL_SEQ, ack=REMOTE_SEQ + 1, flags=SYN, mss=BASE_MSS, win=65535)])
    assert s.snd_ws == 0 and s.rcv_ws == 0 and not s.sack_ok and not s.ts_ok


def test_listen_close():
    s = socket_listen()
    s.close()
    assert s.state == tcp.CLOSED


# --- SYN-RECEIVED -------------------------------------------------------------
def test_syn_received_ack():
    s = socket_syn_received()
    expect(s, [syn_ack(s)])
    send(s, SEG(seq=REMOTE_SEQ + 1, ack=LOCAL_SEQ + 1))
    assert s.state == tcp.ESTABLISHED
    expect_none(s)


def test_syn_received_bad_ack_rst():
    s = socket_syn_received()
    expect(s, [syn_ack(s)])
    send(s, SEG(seq=REMOTE_SEQ + 1, ack=LOCAL_SEQ + 5))
    assert s.state == tcp.SYN_RECEIVED
    expect(s, [SEG_R(seq=LOCAL_SEQ + 5, ack=None, flags=RST, win=0)])
    send(s, SEG(seq=REMOTE_SEQ + 1, ack=LOCAL_SEQ))
    expect(s, [SEG_R(seq=LOCAL_SEQ, ack=None, flags=RST, win=0)])


def test_syn_received_rst_back_to_listen():
    s = socket_syn_received()
    expect(s, [syn_ack(s)])
    send(s, SEG(seq=REMOTE_SEQ + 1, ack=None, flags=RST))
    assert s.state == tcp.LISTEN
    assert s.error == 0
    assert s.local_port == LOCAL_PORT
    expect_none(s)


def test_syn_received_duplicate_syn_resends_syn_ack():
    s = socket_syn_received()
    expect(s, [syn_ack(s)])
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN))
    assert s.state == tcp.SYN_RECEIVED
    expect(s, [syn_ack(s)])


def test_syn_received_new_syn_back_to_listen():
    s = socket_syn_received()
    expect(s, [syn_ack(s)])
    send(s, SEG(seq=REMOTE_SEQ + 10, ack=None, flags=SYN))
    assert s.state == tcp.LISTEN


def test_syn_received_fin_with_data():
    s = socket_syn_received()
    expect(s, [syn_ack(s)])
    send(s, SEG(flags=FIN, data=b"abcdef"))
    assert s.state == tcp.CLOSE_WAIT
    expect(s, [SEG_R(ack=REMOTE_SEQ + 1 + 6 + 1, win=58)])
    assert recv_all(s) == b"abcdef"


def test_syn_received_retransmits_syn_ack_with_backoff():
    s = socket_syn_received()
    expect(s, [syn_ack(s)])
    expect_none(s, now=999)
    expect(s, [syn_ack(s)], now=1000)
    expect_none(s, now=2999)
    expect(s, [syn_ack(s)], now=3000)
    assert s.poll_at(3000) == 4000


def test_syn_received_timeout_listens_again():
    s = socket_syn_received(user_timeout_ms=5000)
    expect(s, [syn_ack(s)])
    expect(s, [syn_ack(s)], now=1000)
    expect(s, [syn_ack(s)], now=3000)
    expect_none(s, now=7000)
    assert s.state == tcp.LISTEN


def test_syn_received_close_sends_fin_after_handshake():
    s = socket_syn_received()
    expect(s, [syn_ack(s)])
    s.close()
    assert s.state == tcp.SYN_RECEIVED
    expect_none(s)
    send(s, SEG(seq=REMOTE_SEQ + 1, ack=LOCAL_SEQ + 1))
    assert s.state == tcp.FIN_WAIT_1
    expect(s, [SEG_R(flags=FIN)])


def test_syn_received_ack_with_data():
    s = socket_syn_received()
    expect(s, [syn_ack(s)])
    send(s, SEG(data=b"xyz"))
    assert s.state == tcp.ESTABLISHED
    expect(s, [SEG_R(ack=REMOTE_SEQ + 4, win=61)])
    assert recv_all(s) == b"xyz"


def test_syn_received_ack_without_ack_flag_dropped():
    s = socket_syn_received()
    expect(s, [syn_ack(s)])
    send(s, SEG(ack=None, data=b"xyz"))
    assert s.state == tcp.SYN_RECEIVED
    assert s.recv_avail() == 0


# --- SYN-SENT -----------------------------------------------------------------
def _syn(**kw):
    d = dict(seq=LOCAL_SEQ, ack=None, flags=SYN, mss=BASE_MSS)
    for k in kw:
        d[k] = kw[k]
    return SEG_R(**d)


def test_syn_sent_emits_syn():
    s = socket_syn_sent()
    assert s.poll_at(0) == 0
    expect(s, [_syn()])
    assert iface_of(s).dsts[-1] == REMOTE_ADDR
    assert bytes(s.local_addr[:4]) == LOCAL_ADDR


def test_syn_sent_syn_ack():
    s = socket_syn_sent()
    expect(s, [_syn()])
    send(s, SEG(seq=REMOTE_SEQ, ack=LOCAL_SEQ + 1, flags=SYN, mss=1400))
    assert s.state == tcp.ESTABLISHED
    expect(s, [SEG_R()])
    assert s.snd_mss == 1400


def test_syn_sent_bad_ack_rst():
    s = socket_syn_sent()
    expect(s, [_syn()])
    send(s, SEG(seq=REMOTE_SEQ, ack=LOCAL_SEQ + 7, flags=SYN))
    assert s.state == tcp.SYN_SENT
    expect(s, [SEG_R(seq=LOCAL_SEQ + 7, ack=None, flags=RST, win=0)])
    send(s, SEG(seq=REMOTE_SEQ, ack=LOCAL_SEQ, flags=SYN))
    expect(s, [SEG_R(seq=LOCAL_SEQ, ack=None, flags=RST, win=0)])


def test_syn_sent_rst_refused():
    s = socket_syn_sent()
    expect(s, [_syn()])
    send(s, SEG(seq=0, ack=LOCAL_SEQ + 1, flags=RST))
    assert s.state == tcp.CLOSED
    assert s.error == errno.ECONNREFUSED
    raises(errno.ECONNREFUSED, s.recv_into, bytearray(4))
    raises(errno.ECONNREFUSED, s.send, b"x")


def test_syn_sent_rst_without_ack_ignored():
    s = socket_syn_sent()
    expect(s, [_syn()])
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=RST))
    assert s.state == tcp.SYN_SENT
    expect_none(s)


def test_syn_sent_rst_bad_ack_ignored():
    s = socket_syn_sent()
    expect(s, [_syn()])
    send(s, SEG(seq=REMOTE_SEQ, ack=LOCAL_SEQ + 9, flags=RST))
    assert s.state == tcp.SYN_SENT
    expect_none(s)


def test_syn_sent_ack_without_syn_dropped():
    s = socket_syn_sent()
    expect(s, [_syn()])
    send(s, SEG(seq=REMOTE_SEQ, ack=LOCAL_SEQ + 1))
    assert s.state == tcp.SYN_SENT
    expect_none(s)


def test_syn_sent_simultaneous_open():
    s = socket_syn_sent()
    expect(s, [_syn()])
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN))
    assert s.state == tcp.SYN_RECEIVED
    expect(s, [_syn(ack=REMOTE_SEQ + 1)])
    send(s, SEG(seq=REMOTE_SEQ + 1, ack=LOCAL_SEQ + 1))
    assert s.state == tcp.ESTABLISHED


def test_syn_sent_retransmit_backoff():
    s = socket_syn_sent()
    expect(s, [_syn()])
    expect_none(s, now=999)
    expect(s, [_syn()], now=1000)
    expect(s, [_syn()], now=3000)
    expect(s, [_syn()], now=7000)
    assert s.poll_at(7000) == 8000


def test_syn_sent_timeout():
    s = socket_syn_sent(user_timeout_ms=3000)
    expect(s, [_syn()])
    expect(s, [_syn()], now=1000)
    expect_none(s, now=3000)
    assert s.state == tcp.CLOSED and s.error == errno.ETIMEDOUT


def test_connect_errors():
    s = socket_syn_sent()
    raises(errno.EALREADY, s.connect, REMOTE_ADDR, 80)
    s = socket_established()
    raises(errno.EISCONN, s.connect, REMOTE_ADDR, 80)
    s = new_socket()
    raises(errno.EINVAL, s.connect, REMOTE_ADDR, 0)


def test_syn_sent_close():
    s = socket_syn_sent()
    expect(s, [_syn()])
    s.close()
    assert s.state == tcp.CLOSED
    expect_none(s)


def test_syn_sent_no_route():
    s = socket_syn_sent()
    iface_of(s).no_route = True
    expect_none(s)
    assert s.state == tcp.CLOSED and s.error == errno.EHOSTUNREACH


def test_syn_sent_waits_for_neighbor():
    s = socket_syn_sent()
    iface_of(s).neighbor_pending = True
    expect_none(s)
    assert s.state == tcp.SYN_SENT
    assert s.poll_at(0) == 20
    iface_of(s).neighbor_pending = False
    expect_none(s, now=10)
    expect(s, [_syn()], now=20)


def test_connect_picks_ephemeral_port_and_source():
    s = new_socket(iss=LOCAL_SEQ)
    s.connect("192.0.2.1", 7)
    assert 49152 <= s.local_port <= 65535
    got = recv(s)
    assert len(got) == 1 and got[0].dport == 7 and got[0].sport == s.local_port
    assert iface_of(s).srcs[-1] == LOCAL_ADDR
    s2 = new_socket()
    s2.connect("192.0.2.1", 7)
    assert s2.local_port != s.local_port


def test_syn_sent_queued_data_goes_after_handshake():
    s = socket_syn_sent()
    assert s.send(b"early") == 5
    expect(s, [_syn()])
    send(s, SEG(seq=REMOTE_SEQ, ack=LOCAL_SEQ + 1, flags=SYN))
    expect(s, [SEG_R(data=b"early")])


# --- ESTABLISHED ----------------------------------------------------------------
def test_established_recv():
    s = socket_established()
    send(s, SEG(data=b"abcdef"))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 7, win=58)])
    assert s.can_recv()
    assert recv_all(s) == b"abcdef"
    assert not s.can_recv()


def test_established_send():
    s = socket_established()
    assert s.send(b"abcdef") == 6
    expect(s, [SEG_R(data=b"abcdef")])
    send(s, SEG(ack=LOCAL_SEQ + 7))
    assert s.send_pending() == 0
    expect_none(s)


def test_established_send_recv_piggyback():
    s = socket_established()
    send(s, SEG(data=b"abc"))
    s.send(b"xyz")
    expect(s, [SEG_R(ack=REMOTE_SEQ + 4, data=b"xyz", win=61)])


def test_established_fin():
    s = socket_established()
    send(s, SEG(flags=FIN))
    assert s.state == tcp.CLOSE_WAIT
    expect(s, [SEG_R(ack=REMOTE_SEQ + 2)])
    assert s.at_eof() and not s.may_recv()
    assert recv_all(s) == b""


def test_established_fin_with_data():
    s = socket_established()
    send(s, SEG(flags=FIN, data=b"bye"))
    assert s.state == tcp.CLOSE_WAIT
    expect(s, [SEG_R(ack=REMOTE_SEQ + 5, win=61)])
    assert not s.at_eof() and s.may_recv()
    assert recv_all(s) == b"bye"
    assert s.at_eof()


def test_established_rst():
    s = socket_established()
    send(s, SEG(flags=RST, ack=None))
    assert s.state == tcp.CLOSED
    assert s.error == errno.ECONNRESET
    raises(errno.ECONNRESET, s.recv_into, bytearray(4))
    expect_none(s)


def test_established_rst_flushes_data():
    s = socket_established()
    send(s, SEG(data=b"abc"))
    send(s, SEG(seq=REMOTE_SEQ + 4, flags=RST))
    assert s.state == tcp.CLOSED and s.recv_avail() == 0


def test_established_rst_in_window_challenge():
    s = socket_established()
    send(s, SEG(seq=REMOTE_SEQ + 10, flags=RST))
    assert s.state == tcp.ESTABLISHED
    expect(s, [SEG_R()])


def test_established_rst_out_of_window_ignored():
    s = socket_established()
    send(s, SEG(seq=REMOTE_SEQ + 1000, flags=RST))
    send(s, SEG(seq=REMOTE_SEQ - 5, flags=RST))
    assert s.state == tcp.ESTABLISHED
    expect_none(s)


def test_established_syn_challenge():
    s = socket_established()
    send(s, SEG(seq=REMOTE_SEQ + 5, ack=None, flags=SYN))
    assert s.state == tcp.ESTABLISHED
    expect(s, [SEG_R()])
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN))
    expect(s, [SEG_R()])


def test_established_data_out_of_window():
    s = socket_established()
    send(s, SEG(seq=REMOTE_SEQ + 1 + 64, data=b"abc"))
    expect(s, [SEG_R()])
    assert s.recv_avail() == 0


def test_established_old_data_acked():
    s = socket_established()
    send(s, SEG(data=b"abcdef"))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 7, win=58)])
    send(s, SEG(data=b"abcdef"))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 7, win=58)])
    assert recv_all(s) == b"abcdef"


def test_established_overlap_trimmed():
    s = socket_established()
    send(s, SEG(data=b"abcdef"))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 7, win=58)])
    send(s, SEG(seq=REMOTE_SEQ + 4, data=b"defghi"))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 10, win=55)])
    assert recv_all(s) == b"abcdefghi"


def test_established_beyond_window_trimmed():
    s = socket_established(rx=8)
    send(s, SEG(data=b"0123456789", flags=FIN))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 9, win=0)])
    assert s.state == tcp.ESTABLISHED
    assert recv_all(s) == b"01234567"


def test_established_ack_unsent_challenge():
    s = socket_established()
    send(s, SEG(ack=LOCAL_SEQ + 10))
    expect(s, [SEG_R()])
    assert s.snd_una == 1


def test_established_ack_too_old_challenge():
    s = socket_established()
    send(s, SEG(ack=LOCAL_SEQ - 100000))
    expect(s, [SEG_R()])


def test_established_old_ack_accepts_data():
    s = socket_established()
    s.send(b"abc")
    expect(s, [SEG_R(data=b"abc")])
    send(s, SEG(ack=LOCAL_SEQ + 4))
    send(s, SEG(ack=LOCAL_SEQ + 2, data=b"zz"))
    expect(s, [SEG_R(seq=LOCAL_SEQ + 4, ack=REMOTE_SEQ + 3, win=62)])
    assert recv_all(s) == b"zz"


def test_established_no_ack_flag_dropped():
    s = socket_established()
    send(s, SEG(ack=None, data=b"abc"))
    expect_none(s)
    assert s.recv_avail() == 0


def test_established_zero_window_drops_data_keeps_ack():
    s = socket_established(rx=6)
    s.send(b"hi")
    expect(s, [SEG_R(data=b"hi", win=6)])
    send(s, SEG(data=b"abcdef"))
    expect(s, [SEG_R(seq=LOCAL_SEQ + 3, ack=REMOTE_SEQ + 7, win=0)])
    send(s, SEG(seq=REMOTE_SEQ + 7, ack=LOCAL_SEQ + 3, data=b"g"))
    assert s.send_pending() == 0        # the ACK was taken
    expect(s, [SEG_R(seq=LOCAL_SEQ + 3, ack=REMOTE_SEQ + 7, win=0)])
    assert recv_all(s) == b"abcdef"


def test_established_window_update_from_peer():
    s = socket_established()
    send(s, SEG(win=1000))
    assert s.snd_wnd == 1000
    send(s, SEG(win=10))
    assert s.snd_wnd == 10


def test_established_abort():
    s = socket_established()
    s.send(b"abc")
    s.abort()
    assert s.state == tcp.CLOSED
    expect(s, [SEG_R(ack=None, flags=RST, win=0)])
    expect_none(s)


def test_established_peek_and_find():
    s = socket_established()
    send(s, SEG(data=b"line1\nrest"))
    b = bytearray(8)
    assert s.peek_into(b, 0, 5) == 5 and bytes(b[:5]) == b"line1"
    assert s.peek_into(b, 0, 3, 6) == 3 and bytes(b[:3]) == b"res"
    assert s.find(ord("\n")) == 5
    assert s.find(ord("z")) == -1
    assert s.recv_avail() == 10
    assert recv_all(s) == b"line1\nrest"


def test_established_send_full_buffer():
    s = socket_established(tx=8)
    assert s.send(b"0123456789") == 8
    assert s.send(b"x") == 0
    assert not s.can_send()
    expect(s, [SEG_R(data=b"01234567")])
    send(s, SEG(ack=LOCAL_SEQ + 5))
    assert s.send(b"abcdefgh") == 4
    assert s.send_free() == 0


def test_established_send_offsets():
    s = socket_established()
    assert s.send(b"xxabcdyy", 2, 4) == 4
    expect(s, [SEG_R(data=b"abcd")])


def test_established_recv_into_offsets():
    s = socket_established()
    send(s, SEG(data=b"abcdef"))
    b = bytearray(10)
    assert s.recv_into(b, 3, 2) == 2
    assert bytes(b[3:5]) == b"ab"
    assert s.recv_into(b, 0) == 4 and bytes(b[:4]) == b"cdef"
    assert s.recv_into(b) == -1                  # nothing waiting, as the datagram sockets
    send(s, SEG(seq=REMOTE_SEQ + 7, data=b"g"))
    assert s.recv_into(b, 0, 0) == 0 and s.recv_avail() == 1   # n == 0: 0, not -1


def test_established_close_sends_fin_after_data():
    s = socket_established()
    s.send(b"abc")
    s.close()
    assert s.state == tcp.FIN_WAIT_1
    expect(s, [SEG_R(data=b"abc", flags=FIN)])
    raises(errno.ENOTCONN, s.send, b"x")


# --- FIN-WAIT-1 / FIN-WAIT-2 / CLOSING / TIME-WAIT -----------------------------------
def test_fin_wait_1_ack():
    s = socket_fin_wait_1()
    send(s, SEG(ack=LOCAL_SEQ + 2))
    assert s.state == tcp.FIN_WAIT_2
    expect_none(s)


def test_fin_wait_1_partial_ack_stays():
    s = socket_established()
    s.send(b"abc")
    s.close()
    expect(s, [SEG_R(data=b"abc", flags=FIN)])
    send(s, SEG(ack=LOCAL_SEQ + 4))
    assert s.state == tcp.FIN_WAIT_1
    send(s, SEG(ack=LOCAL_SEQ + 5))
    assert s.state == tcp.FIN_WAIT_2


def test_fin_wait_1_fin_ack():
    s = socket_fin_wait_1()
    send(s, SEG(flags=FIN, ack=LOCAL_SEQ + 2))
    assert s.state == tcp.TIME_WAIT
    expect(s, [SEG_R(seq=LOCAL_SEQ + 2, ack=REMOTE_SEQ + 2)])


def test_fin_wait_1_fin_closing():
    s = socket_closing()
    assert s.state == tcp.CLOSING


def test_fin_wait_1_recv_data():
    s = socket_fin_wait_1()
    send(s, SEG(data=b"more"))
    expect(s, [SEG_R(seq=LOCAL_SEQ + 2, ack=REMOTE_SEQ + 5, win=60)])
    assert recv_all(s) == b"more"


def test_fin_wait_1_retransmits_fin():
    s = socket_fin_wait_1()
    rto = s.rto_ms()
    assert rto == 200          # the handshake measured 0 ms: RTO = rto_min
    expect_none(s, now=rto - 1)
    expect(s, [SEG_R(flags=FIN)], now=rto)
    expect_none(s, now=3 * rto - 1)
    expect(s, [SEG_R(flags=FIN)], now=3 * rto)


def test_fin_wait_2_fin():
    s = socket_fin_wait_2()
    send(s, SEG(flags=FIN, ack=LOCAL_SEQ + 2))
    assert s.state == tcp.TIME_WAIT
    expect(s, [SEG_R(seq=LOCAL_SEQ + 2, ack=REMOTE_SEQ + 2)])


def test_fin_wait_2_recv_data():
    s = socket_fin_wait_2()
    send(s, SEG(data=b"half", ack=LOCAL_SEQ + 2))
    expect(s, [SEG_R(seq=LOCAL_SEQ + 2, ack=REMOTE_SEQ + 5, win=60)])
    assert recv_all(s) == b"half"
    assert s.may_recv()


def test_closing_ack():
    s = socket_closing()
    send(s, SEG(seq=REMOTE_SEQ + 2, ack=LOCAL_SEQ + 2))
    assert s.state == tcp.TIME_WAIT
    expect_none(s)


def test_time_wait_refin_acked_and_timer_restarts():
    s = socket_time_wait(time_wait_ms=5000)
    send(s, SEG(flags=FIN, ack=LOCAL_SEQ + 2), now=3000)
    expect(s, [SEG_R(seq=LOCAL_SEQ + 2, ack=REMOTE_SEQ + 2)], now=3000)
    expect_none(s, now=7999)
    assert s.state == tcp.TIME_WAIT
    expect_none(s, now=8000)
    assert s.state == tcp.CLOSED and s.error == 0


def test_time_wait_expires():
    s = socket_time_wait(time_wait_ms=2000)
    assert s.poll_at(0) == 2000
    expect_none(s, now=1999)
    assert s.state == tcp.TIME_WAIT
    expect_none(s, now=2000)
    assert s.state == tcp.CLOSED


def test_time_wait_rst_closes():
    s = socket_time_wait()
    send(s, SEG(seq=REMOTE_SEQ + 2, ack=None, flags=RST))
    assert s.state == tcp.CLOSED and s.error == 0


def test_time_wait_new_syn_reopens():
    s = socket_time_wait()
    assert send(s, SEG(seq=REMOTE_SEQ + 100, ack=None, flags=SYN), accept=False) == 0
    assert s.state == tcp.CLOSED


def test_time_wait_old_syn_challenged():
    s = socket_time_wait()
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN))
    assert s.state == tcp.TIME_WAIT
    expect(s, [SEG_R(seq=LOCAL_SEQ + 2, ack=REMOTE_SEQ + 2)])


# --- CLOSE-WAIT / LAST-ACK -----------------------------------------------------------
def test_close_wait_send():
    s = socket_close_wait()
    assert s.may_send()
    s.send(b"reply")
    expect(s, [SEG_R(data=b"reply", ack=REMOTE_SEQ + 2)])


def test_close_wait_close_last_ack():
    s = socket_last_ack()
    send(s, SEG(seq=REMOTE_SEQ + 2, ack=LOCAL_SEQ + 2))
    assert s.state == tcp.CLOSED and s.error == 0
    expect_none(s)


def test_close_wait_refin_acked():
    s = socket_close_wait()
    send(s, SEG(flags=FIN))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 2)])
    assert s.state == tcp.CLOSE_WAIT


def test_last_ack_retransmits_fin():
    s = socket_last_ack()
    expect(s, [SEG_R(flags=FIN, ack=REMOTE_SEQ + 2)], now=200)
    send(s, SEG(seq=REMOTE_SEQ + 2, ack=LOCAL_SEQ + 2), now=1100)
    assert s.state == tcp.CLOSED


def test_last_ack_rst_closes_quietly():
    s = socket_last_ack()
    send(s, SEG(seq=REMOTE_SEQ + 2, flags=RST))
    assert s.state == tcp.CLOSED and s.error == 0


def test_close_wait_data_after_fin_ignored():
    s = socket_close_wait()
    send(s, SEG(seq=REMOTE_SEQ + 2, data=b"zz"))
    assert s.recv_avail() == 0


# --- closing both ways -------------------------------------------------------------
def test_simultaneous_close():
    s = socket_established()
    s.close()
    expect(s, [SEG_R(flags=FIN)])
    send(s, SEG(flags=FIN))                       # peer's FIN crosses ours
    assert s.state == tcp.CLOSING
    expect(s, [SEG_R(seq=LOCAL_SEQ + 2, ack=REMOTE_SEQ + 2)])
    send(s, SEG(seq=REMOTE_SEQ + 2, ack=LOCAL_SEQ + 2))
    assert s.state == tcp.TIME_WAIT


def test_simultaneous_close_combined_fin_ack():
    s = socket_established()
    s.close()
    expect(s, [SEG_R(flags=FIN)])
    send(s, SEG(flags=FIN, ack=LOCAL_SEQ + 2))
    assert s.state == tcp.TIME_WAIT


def test_half_close_keeps_reading():
    s = socket_established()
    s.close()
    expect(s, [SEG_R(flags=FIN)])
    send(s, SEG(ack=LOCAL_SEQ + 2, data=b"still"))
    send(s, SEG(seq=REMOTE_SEQ + 6, ack=LOCAL_SEQ + 2, data=b" here", flags=FIN))
    assert s.state == tcp.TIME_WAIT
    assert recv_all(s) == b"still here"


def test_abort_in_each_state():
    for make, rst in ((socket_syn_received, True), (socket_established, True),
                      (socket_fin_wait_1, True), (socket_fin_wait_2, True),
                      (socket_close_wait, True), (socket_last_ack, False),
                      (socket_closing, False), (socket_time_wait, False),
                      (socket_syn_sent, False), (socket_listen, False)):
        s = make()
        recv(s)
        s.abort()
        got = recv(s)
        assert s.state == tcp.CLOSED
        assert len(got) == (1 if rst else 0), (make, got)
        if rst:
            assert got[0].flags == RST and got[0].ack is None


def test_state_queries():
    s = new_socket()
    assert s.state_name() == "CLOSED" and not s.is_open() and not s.is_active()
    s.listen(80)
    assert s.state_name() == "LISTEN" and s.is_open() and not s.is_active()
    s = socket_established()
    assert s.is_open() and s.is_active() and s.is_connected() and s.may_send()
    assert s.may_recv() and not s.can_recv() and s.can_send()
    s = socket_time_wait()
    assert not s.is_open() and not s.is_active()
    assert not s.may_send()


def test_established_no_route_counts_as_lost():
    s = socket_established()
    iface_of(s).no_route = True
    s.send(b"abc")
    expect_none(s)                 # "sent" into the void, no busy loop
    assert s.poll_at(0) == s.rto_ms()
    send(s, SEG(data=b"x"))
    expect_none(s)
    assert s.poll_at(0) == s.rto_ms()
    iface_of(s).no_route = False
    expect(s, [SEG_R(data=b"abc", ack=REMOTE_SEQ + 2, win=63)], now=s.rto_ms())


def test_neighbor_never_answers_gives_up():
    s = socket_syn_sent(user_timeout_ms=10000)
    iface_of(s).neighbor_pending = True
    t = 0
    while t < 3100:
        recv(s, now=t)
        t += 20
    assert s.state == tcp.CLOSED and s.error == errno.EHOSTUNREACH
