# runtimes: cpython unix wasm
# RFC 5961 (blind RST/SYN/data injection: challenge ACKs, rate-limited),
# RFC 6528 initial sequence numbers, RFC 9293 3.10.7.1 RSTs for closed ports.
from tcp_harness import (SEG, SEG_R, SYN, FIN, RST, LOCAL_SEQ, REMOTE_SEQ, LOCAL_PORT,
                         REMOTE_PORT, LOCAL_ADDR, REMOTE_ADDR, send, recv, expect,
                         socket_listen, socket_established, socket_syn_sent,
                         new_socket, recv_all, FakeIface, parse)
import smolnet.socket.tcp as tcp
import smolnet.socket.tcp_isn as tcp_isn
from smolnet.wire import tcp as wire
from support import raises


def test_rst_exact_seq_resets():
    s = socket_established()
    send(s, SEG(seq=REMOTE_SEQ + 1, ack=None, flags=RST))
    assert s.state == tcp.CLOSED


def test_rst_in_window_gets_challenge_ack():
    s = socket_established()
    for off in (2, 10, 63):
        send(s, SEG(seq=REMOTE_SEQ + 1 + off, ack=None, flags=RST))
        assert s.state == tcp.ESTABLISHED
        expect(s, [SEG_R()])


def test_rst_with_data_in_window_challenged():
    s = socket_established()
    send(s, SEG(seq=REMOTE_SEQ + 5, flags=RST, data=b"xx"))
    assert s.state == tcp.ESTABLISHED
    expect(s, [SEG_R()])


def test_challenge_acks_rate_limited():
    s = socket_established(challenge_ack_limit=3)
    sent = 0
    for k in range(10):
        send(s, SEG(seq=REMOTE_SEQ + 5, ack=None, flags=RST), now=100 + k)
        sent += len(recv(s, now=100 + k))
    assert sent == 3
    assert s.challenge_acks == 3
    send(s, SEG(seq=REMOTE_SEQ + 5, ack=None, flags=RST), now=1100)
    assert len(recv(s, now=1100)) == 1


def test_syn_challenge_rate_limited():
    s = socket_established(challenge_ack_limit=2)
    sent = 0
    for k in range(5):
        send(s, SEG(seq=REMOTE_SEQ + 7, ack=None, flags=SYN), now=50)
        sent += len(recv(s, now=50))
    assert sent == 2 and s.state == tcp.ESTABLISHED


def test_blind_data_with_bad_ack_dropped():
    # RFC 5961 5.2: an ACK beyond SND.NXT or older than SND.UNA - MAX.SND.WND
    s = socket_established()
    send(s, SEG(ack=LOCAL_SEQ + 1000, data=b"evil"))
    assert s.recv_avail() == 0
    expect(s, [SEG_R()])
    send(s, SEG(ack=LOCAL_SEQ - 300, data=b"evil"))
    assert s.recv_avail() == 0
    expect(s, [SEG_R()])


def test_ack_within_max_window_behind_accepted():
    s = socket_established()
    send(s, SEG(ack=LOCAL_SEQ - 100, data=b"ok"))
    assert recv_all(s) == b"ok"


def test_pure_ack_out_of_window_rate_limited():
    s = socket_established(challenge_ack_limit=2)
    n = 0
    for k in range(6):
        send(s, SEG(seq=REMOTE_SEQ + 5000), now=10)
        n += len(recv(s, now=10))
    assert n == 2


def test_syn_sent_rst_needs_ack_of_syn():
    s = socket_syn_sent()
    recv(s)
    send(s, SEG(seq=REMOTE_SEQ, ack=LOCAL_SEQ, flags=RST))
    assert s.state == tcp.SYN_SENT
    send(s, SEG(seq=REMOTE_SEQ, ack=LOCAL_SEQ + 1, flags=RST))
    assert s.state == tcp.CLOSED


# --- RFC 6528 ISNs ----------------------------------------------------------------
def _isn(local, remote, lport, rport, now):
    out = bytearray(8)
    tcp_isn.compute(out, local, remote, 4, lport, rport, now)
    return (out[0] << 24) | (out[1] << 16) | (out[2] << 8) | out[3]


def test_isn_depends_on_tuple():
    a = _isn(LOCAL_ADDR, REMOTE_ADDR, 80, 5000, 0)
    b = _isn(LOCAL_ADDR, REMOTE_ADDR, 80, 5001, 0)
    c = _isn(LOCAL_ADDR, bytes([192, 0, 2, 7]), 80, 5000, 0)
    assert a != b and a != c and b != c


def test_isn_advances_with_clock():
    a = _isn(LOCAL_ADDR, REMOTE_ADDR, 80, 5000, 1000)
    b = _isn(LOCAL_ADDR, REMOTE_ADDR, 80, 5000, 1100)
    assert (b - a) & 0xFFFFFFFF == 25000      # 4 us ticks


def test_isn_depends_on_secret():
    a = _isn(LOCAL_ADDR, REMOTE_ADDR, 80, 5000, 0)
    old = tcp_isn._st.key
    try:
        tcp_isn.seed(b"another secret of sixteen+ bytes")
        b = _isn(LOCAL_ADDR, REMOTE_ADDR, 80, 5000, 0)
    finally:
        tcp_isn._st.key = old
    assert a != b


def test_isn_seed_takes_only_a_whole_key():
    # the hash takes the whole key, the SYN cookies bytes 16..23 and the
    # ephemeral port start bytes 30..31: a shorter key is refused, not
    # read past its end later
    old = tcp_isn._st.key
    try:
        for n in (0, 16, 31):
            e = raises(ValueError, tcp_isn.seed, bytes(n))
            assert "32" in str(e)
            assert tcp_isn._st.key is old
        tcp_isn.seed(bytes(range(32)))
        assert tcp_isn.PortAllocator().get() == 49152 + (((30 << 8) | 31) & 0x3FFF)
        tcp_isn.seed(bytes(range(40)))             # longer is fine
        assert tcp_isn.PortAllocator().get() == 49152 + (((30 << 8) | 31) & 0x3FFF)
    finally:
        tcp_isn._st.key = old


def test_socket_uses_rfc6528_isn():
    s = socket_listen(iss=None)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN), now=40)
    got = recv(s, now=40)
    assert got[0].seq == _isn(LOCAL_ADDR, REMOTE_ADDR, LOCAL_PORT, REMOTE_PORT, 40)
    s = new_socket(iss=None)
    s.connect(REMOTE_ADDR, 80, local_port=6000)
    got = recv(s, now=3)
    assert got[0].seq == _isn(LOCAL_ADDR, REMOTE_ADDR, 6000, 80, 3)


# --- RST for segments nobody wants (the Interface calls emit_rst_reply) ----------------
def _reply_to(seg):
    i = FakeIface()
    n = i.put(seg)
    out = bytearray(40)
    k = wire.emit_rst_reply(out, 0, i.rx_buf, 20, n)
    return parse(out, 0, k) if k else None


def test_rst_reply_rules():
    r = _reply_to(SEG(seq=REMOTE_SEQ, ack=None, flags=SYN))
    assert r == SEG_R(seq=0, ack=REMOTE_SEQ + 1, flags=RST, win=0)
    r = _reply_to(SEG(seq=REMOTE_SEQ, ack=LOCAL_SEQ + 7, data=b"abc"))
    assert r == SEG_R(seq=LOCAL_SEQ + 7, ack=None, flags=RST, win=0)
    r = _reply_to(SEG(seq=REMOTE_SEQ, ack=None, data=b"abc", flags=FIN))
    assert r == SEG_R(seq=0, ack=REMOTE_SEQ + 4, flags=RST, win=0)
    assert _reply_to(SEG(flags=RST)) is None
