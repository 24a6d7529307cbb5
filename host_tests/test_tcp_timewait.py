# runtimes: cpython unix wasm
# TcpListener(..., time_wait=n): accepted connections that reach TIME-WAIT
# move into compact records kept by the listener (tcp_timewait.py), so their
# sockets are CLOSED at once and serve as the spares of the next accept().
# Exact segments in and out, as in test_tcp_listen.py.
from tcp_harness import (SEG, SEG_R, SYN, FIN, RST, LOCAL_SEQ, REMOTE_SEQ, LOCAL_PORT,
                         BASE_MSS, FakeIface, send, recv, expect, expect_none)
from support import heap_locked
import smolnet.socket.tcp as tcp
from smolnet.socket.tcp import TcpSocket
from smolnet.socket.tcp_listen import TcpListener
from smolnet.phy.loopback import Loopback
from smolnet.iface.interface import Interface
from smolnet.config import Config

OPTS = dict(ack_delay_ms=0, timestamps=False, sack=False, window_scale=False,
            iss=LOCAL_SEQ, ts_offset=0, time_wait_ms=2000)


def listener(backlog=1, time_wait=8, **kw):
    d = dict(OPTS)
    for k in kw:
        d[k] = kw[k]
    L = TcpListener(backlog, 64, 64, time_wait=time_wait, **d)
    L.listen(LOCAL_PORT)
    return L, FakeIface()


def handshake(L, i, port, now=0):
    send(L, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, sport=port), now=now, iface=i)
    expect(L, [SEG_R(seq=LOCAL_SEQ, ack=REMOTE_SEQ + 1, flags=SYN, mss=BASE_MSS, dport=port)],
           now=now, iface=i)
    send(L, SEG(sport=port), now=now, iface=i)


def serve_and_close(L, i, port, spare, now=0):
    """One connection: accepted (with `spare`), the server sends 3 bytes and
    closes first, the peer ACKs and closes: TIME-WAIT on our side."""
    handshake(L, i, port, now)
    s = L.accept(spare)
    assert s is not None and s.remote_port == port
    s.send(b"bye")
    s.close()
    expect(s, [SEG_R(dport=port, data=b"bye", flags=FIN)], now=now, iface=i)
    send(s, SEG(sport=port, ack=LOCAL_SEQ + 5, flags=FIN), now=now, iface=i)
    assert s.state == tcp.TIME_WAIT
    # the ACK of the peer's FIN, then the socket hands over to a record
    expect(s, [SEG_R(dport=port, seq=LOCAL_SEQ + 5, ack=REMOTE_SEQ + 2)], now=now, iface=i)
    assert s.state == tcp.CLOSED and s.error == 0
    assert s.rx.used() == 0 and s.tx.used() == 0
    return s


def test_more_connections_than_backlog_while_earlier_in_time_wait():
    L, i = listener(backlog=1, time_wait=8)
    spare = None
    socks = []
    for k in range(6):
        s = serve_and_close(L, i, 5001 + k, spare, now=10 * k)
        socks.append(s)
        spare = s                  # the closed socket is the next one's spare
        assert L.tw.in_use() == k + 1
    # two socket objects served six connections (the slot's and one more)
    assert len(set(id(s) for s in socks)) == 2
    assert L.accepted == 6 and L.syn_dropped == 0 and L.tw.evicted == 0
    # every one of them is still in TIME-WAIT: a retransmitted FIN of the
    # first gets its ACK from the listener, exactly as the socket sent it
    assert send(L, SEG(sport=5001, ack=LOCAL_SEQ + 5, flags=FIN), now=100, iface=i) == 2
    expect(L, [SEG_R(dport=5001, seq=LOCAL_SEQ + 5, ack=REMOTE_SEQ + 2)], now=100, iface=i)
    expect_none(L, now=100, iface=i)
    assert L.tw.acks == 1


def test_retransmitted_fin_restarts_2msl_and_record_expires():
    L, i = listener()
    serve_and_close(L, i, 5001, None, now=0)
    assert L.poll_at(0) == 2000
    send(L, SEG(sport=5001, ack=LOCAL_SEQ + 5, flags=FIN), now=1500, iface=i)
    assert L.poll_at(1500) == 0
    expect(L, [SEG_R(dport=5001, seq=LOCAL_SEQ + 5, ack=REMOTE_SEQ + 2)], now=1500, iface=i)
    assert L.poll_at(1500) == 2000          # 2MSL from the retransmission
    expect_none(L, now=3499, iface=i)
    assert L.tw.in_use() == 1
    expect_none(L, now=3500, iface=i)       # over: the record is gone
    assert L.tw.in_use() == 0 and L.poll_at(3500) == -1
    # the 4-tuple is unknown now: an ACK is not the listener's (the
    # Interface answers it with a RST)
    assert send(L, SEG(sport=5001, ack=LOCAL_SEQ + 5, flags=FIN), now=3600, iface=i,
                accept=False) == 0


def test_rst_in_time_wait_is_ignored():
    # RFC 1337: an old RST must not end TIME-WAIT early
    L, i = listener()
    serve_and_close(L, i, 5001, None)
    assert send(L, SEG(sport=5001, seq=REMOTE_SEQ + 2, ack=None, flags=RST), iface=i) == 2
    expect_none(L, iface=i)
    assert L.tw.in_use() == 1 and L.tw.rst_ignored == 1
    send(L, SEG(sport=5001, ack=LOCAL_SEQ + 5, flags=FIN), now=10, iface=i)
    expect(L, [SEG_R(dport=5001, seq=LOCAL_SEQ + 5, ack=REMOTE_SEQ + 2)], now=10, iface=i)


def test_old_segments_get_a_challenge_ack_bare_ack_nothing():
    L, i = listener()
    serve_and_close(L, i, 5001, None)
    # the peer's last ACK again, at RCV.NXT: nothing to say
    send(L, SEG(sport=5001, seq=REMOTE_SEQ + 2, ack=LOCAL_SEQ + 5), iface=i)
    expect_none(L, iface=i)
    # an old duplicate ACK from before the FIN: where we are (RFC 5961 7)
    send(L, SEG(sport=5001, seq=REMOTE_SEQ + 1, ack=LOCAL_SEQ + 5), iface=i)
    expect(L, [SEG_R(dport=5001, seq=LOCAL_SEQ + 5, ack=REMOTE_SEQ + 2)], iface=i)
    # an old SYN (not beyond RCV.NXT): a challenge ACK, the record stays
    send(L, SEG(sport=5001, seq=REMOTE_SEQ, ack=None, flags=SYN), now=2, iface=i)
    expect(L, [SEG_R(dport=5001, seq=LOCAL_SEQ + 5, ack=REMOTE_SEQ + 2)], now=2, iface=i)
    # data after the FIN: an ACK
    send(L, SEG(sport=5001, seq=REMOTE_SEQ + 2, ack=LOCAL_SEQ + 5, data=b"x"), now=3, iface=i)
    expect(L, [SEG_R(dport=5001, seq=LOCAL_SEQ + 5, ack=REMOTE_SEQ + 2)], now=3, iface=i)
    assert L.tw.in_use() == 1


def test_challenge_acks_are_rate_limited():
    L, i = listener()
    serve_and_close(L, i, 5001, None)
    L.tw.challenge_ack_limit = 2
    for k in range(5):
        send(L, SEG(sport=5001, seq=REMOTE_SEQ + 1, ack=LOCAL_SEQ + 5), now=10, iface=i)
        recv(L, now=10, iface=i)
    assert L.tw.acks == 2


def test_syn_beyond_rcv_nxt_opens_a_new_connection():
    # RFC 9293 3.10.7.4 / RFC 6191: a new incarnation of the same 4-tuple
    L, i = listener()
    s = serve_and_close(L, i, 5001, None)
    new_isn = REMOTE_SEQ + 100000
    assert send(L, SEG(seq=new_isn, ack=None, flags=SYN, sport=5001), now=5, iface=i) == 1
    assert L.tw.in_use() == 0 and L.tw.reopened == 1
    expect(L, [SEG_R(seq=LOCAL_SEQ, ack=new_isn + 1, flags=SYN, mss=BASE_MSS, dport=5001)],
           now=5, iface=i)
    send(L, SEG(seq=new_isn + 1, sport=5001), now=6, iface=i)
    c = L.accept(s)
    assert c.state == tcp.ESTABLISHED and c.remote_port == 5001


def test_full_table_recycles_the_record_nearest_its_end():
    L, i = listener(time_wait=2)
    serve_and_close(L, i, 5001, None, now=0)
    serve_and_close(L, i, 5002, None, now=100)
    serve_and_close(L, i, 5003, None, now=200)
    assert L.tw.in_use() == 2 and L.tw.evicted == 1
    # 5001 (the oldest) is forgotten; 5002 and 5003 still answer
    assert send(L, SEG(sport=5001, ack=LOCAL_SEQ + 5, flags=FIN), now=300, iface=i,
                accept=False) == 0
    for port in (5002, 5003):
        send(L, SEG(sport=port, ack=LOCAL_SEQ + 5, flags=FIN), now=300, iface=i)
        expect(L, [SEG_R(dport=port, seq=LOCAL_SEQ + 5, ack=REMOTE_SEQ + 2)], now=300, iface=i)


def test_timestamps_paws_and_echo():
    # with RFC 7323 timestamps the record keeps TS.Recent and our TSval
    # clock: a retransmitted FIN is answered with TSval advanced and its own
    # TSval echoed; an older TSval is an old duplicate (PAWS)
    L, i = listener(timestamps=True)
    port = 5001
    send(L, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, sport=port, ts=(500, 0)), iface=i)
    expect(L, [SEG_R(seq=LOCAL_SEQ, ack=REMOTE_SEQ + 1, flags=SYN, mss=BASE_MSS, dport=port,
                     ts=(0, 500))], iface=i)
    send(L, SEG(sport=port, ts=(501, 0)), now=1, iface=i)
    s = L.accept()
    s.close()
    expect(s, [SEG_R(dport=port, flags=FIN, ts=(1, 501))], now=1, iface=i)
    send(s, SEG(sport=port, ack=LOCAL_SEQ + 2, flags=FIN, ts=(502, 1)), now=2, iface=i)
    expect(s, [SEG_R(dport=port, seq=LOCAL_SEQ + 2, ack=REMOTE_SEQ + 2, ts=(2, 502))],
           now=2, iface=i)
    assert s.state == tcp.CLOSED and L.tw.in_use() == 1
    send(L, SEG(sport=port, ack=LOCAL_SEQ + 2, flags=FIN, ts=(900, 1)), now=700, iface=i)
    expect(L, [SEG_R(dport=port, seq=LOCAL_SEQ + 2, ack=REMOTE_SEQ + 2, ts=(700, 900))],
           now=700, iface=i)
    before = L.tw.drops
    send(L, SEG(sport=port, ack=LOCAL_SEQ + 2, flags=FIN, ts=(800, 1)), now=710, iface=i)
    assert L.tw.drops == before + 1
    # the challenge ACK still echoes the newest timestamp seen
    expect(L, [SEG_R(dport=port, seq=LOCAL_SEQ + 2, ack=REMOTE_SEQ + 2, ts=(710, 900))],
           now=710, iface=i)


def test_without_time_wait_records_the_socket_keeps_time_wait():
    L, i = listener(time_wait=0)
    assert L.tw is None
    handshake(L, i, 5001)
    s = L.accept()
    s.close()
    expect(s, [SEG_R(dport=5001, flags=FIN)], iface=i)
    send(s, SEG(sport=5001, ack=LOCAL_SEQ + 2, flags=FIN), iface=i)
    expect(s, [SEG_R(dport=5001, seq=LOCAL_SEQ + 2, ack=REMOTE_SEQ + 2)], iface=i)
    assert s.state == tcp.TIME_WAIT


def test_unread_data_keeps_the_socket_until_read():
    # the record cannot hold received bytes: the socket stays in TIME-WAIT
    # until the user has read them, then hands over
    L, i = listener()
    handshake(L, i, 5001)
    s = L.accept()
    s.close()
    expect(s, [SEG_R(dport=5001, flags=FIN)], iface=i)
    send(s, SEG(sport=5001, ack=LOCAL_SEQ + 2, flags=FIN, data=b"late"), iface=i)
    expect(s, [SEG_R(dport=5001, seq=LOCAL_SEQ + 2, ack=REMOTE_SEQ + 6, win=60)], iface=i)
    assert s.state == tcp.TIME_WAIT and s.poll_at(0) > 0
    buf = bytearray(8)
    assert s.recv_into(buf) == 4 and bytes(buf[:4]) == b"late"
    assert s.poll_at(0) == 0
    expect_none(s, iface=i)
    assert s.state == tcp.CLOSED and L.tw.in_use() == 1


def _lost_ack_of_fin(v6):
    # two real Interfaces; the server closes first; the ACK of the client's
    # FIN is lost, so the client sends its FIN again: the record answers it
    dev_a, dev_b = Loopback.pair(slots=16)
    ia = Interface(dev_a, Config(strict=True))
    ib = Interface(dev_b, Config(strict=True))
    ia.add_ip("2001:db8::1/64" if v6 else "192.0.2.1/24")
    ib.add_ip("2001:db8::2/64" if v6 else "192.0.2.2/24")
    L = ib.add_socket(TcpListener(1, 1024, 1024, time_wait=4))
    L.listen(80)
    c = ia.add_socket(TcpSocket(1024, 1024))
    c.connect("2001:db8::2" if v6 else "192.0.2.2", 80)
    t = 0
    s = None
    lost = False
    buf = bytearray(1600)
    while t < 5000:
        ia.poll(t)
        ib.poll(t)
        if s is None:
            s = L.accept()
            if s is not None:
                s.send(b"bye")
                s.close()
        if c.state == tcp.CLOSE_WAIT and c.recv_avail() == 3:
            c.recv_into(buf)
            c.close()
        if not lost and L.tw.in_use() == 1:
            # the server socket sent its ACK and handed over: lose that ACK
            assert dev_a.recv_into(buf) > 0
            lost = True
        if lost and c.state == tcp.CLOSED:
            break
        t += 1
    assert lost and s.state == tcp.CLOSED
    assert c.state == tcp.CLOSED and c.error == 0 and c.retransmits >= 1
    assert L.tw.acks == 1 and L.tw.in_use() == 1
    assert ia.stats.drop_bad_checksum == 0 and ib.stats.drop_bad_checksum == 0


def test_lost_ack_of_fin_answered_by_the_record_ipv4():
    _lost_ack_of_fin(False)


def test_lost_ack_of_fin_answered_by_the_record_ipv6():
    _lost_ack_of_fin(True)


def test_record_path_does_not_allocate():
    L, i = listener(timestamps=True)
    for k in range(3):
        port = 5001 + k
        send(L, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, sport=port, ts=(500, 0)), iface=i)
        recv(L, iface=i)
        send(L, SEG(sport=port, ts=(501, 0)), now=1, iface=i)
        s = L.accept()
        s.close()
        recv(s, now=1, iface=i)
        send(s, SEG(sport=port, ack=LOCAL_SEQ + 2, flags=FIN, ts=(502, 1)), now=2, iface=i)
        recv(s, now=2, iface=i)
    assert L.tw.in_use() == 3
    q = QuietIface()
    fin = q.put(SEG(sport=5002, ack=LOCAL_SEQ + 2, flags=FIN, ts=(900, 1)))
    r = Run(L, q, fin)
    heap_locked(r.go)
    assert r.sent == 10 and q.count == 10
    q.put(SEG(sport=5003, seq=REMOTE_SEQ + 2, ack=None, flags=RST))
    heap_locked(r.go)
    assert r.sent == 10 and L.tw.rst_ignored == 10


class QuietIface(FakeIface):
    # sends nothing anywhere and allocates nothing (FakeIface records and
    # parses every segment, which allocates)
    def __init__(self):
        FakeIface.__init__(self)
        self.count = 0

    def tx_begin(self, dst, doff, alen, src, soff, now):
        self.tx_room = self.ip_mtu - 20
        return 34

    def tx_finish(self, proto, l4_len, payload_off=-1, payload_sum=0):
        self.count += 1
        return True


class Run:
    # a segment for a record in, what it answers out, timers: 10 rounds
    def __init__(self, L, i, n):
        self.L = L
        self.i = i
        self.n = n
        self.sent = 0

    def go(self):
        L = self.L
        i = self.i
        for t in range(10, 20):
            if L.accepts(i, 20) == 2:
                L.process(i, 20, self.n, t)
            if L.dispatch(i, t):
                self.sent += 1
            L.poll_at(t)
