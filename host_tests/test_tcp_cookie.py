# runtimes: cpython unix wasm
# SYN cookies (RFC 4987 3.6, tcp_cookie.py): a listener whose slots are all
# taken answers SYNs statelessly; the ACK that returns a good cookie becomes
# a connection (in a free slot or the oldest half-open one's, RFC 4987 3.4);
# a bad or stale one gets the RST of a closed port. Half-open entries whose
# peer never resolves are freed after the neighbor timeout.
from tcp_harness import (new_listener, syn_from as syn, synack_to as synack,
                         SEG, SEG_R, SYN, RST, REMOTE_SEQ, LOCAL_PORT, BASE_MSS,
                         M32, FakeIface, send, recv, expect, expect_none, recv_all)
import smolnet.socket.tcp as tcp
import smolnet.socket.tcp_isn as tcp_isn
from smolnet.socket.tcp_listen import TcpListener
from support import heap_locked
from smolnet.fast import copy
KEY = bytes(range(32))
_L4 = 20


def listener(backlog=1, **kw):
    tcp_isn.seed(KEY)       # the cookies' key: known answers
    return new_listener(backlog, **kw)


def full_listener(**kw):
    """backlog 1, its slot half-open with port 5001."""
    L, i = listener(**kw)
    send(L, syn(5001), iface=i)
    expect(L, [synack(5001)], iface=i)
    return L, i


def cookie_synack(L, i, port, now=0, **kw):
    k = len(i.sent)
    send(L, syn(port, **kw), now=now, iface=i)
    got = i.sent[k:]
    assert len(got) == 1, got
    return got[0]


def test_cookie_known_answer():
    # the same 32-bit cookie on every runtime (16-bit halves, no boxing)
    L, i = full_listener()
    c = cookie_synack(L, i, 5002)
    assert c == SEG_R(seq=c.seq, ack=REMOTE_SEQ + 1, flags=SYN, mss=BASE_MSS, dport=5002)
    assert c.seq == 0xCF059D3D, hex(c.seq)
    assert L.cookies.sent == 1 and L.syn_dropped == 0
    assert L.slots[0].remote_port == 5001       # the half-open one untouched


def test_cookie_ack_completes_with_data():
    L, i = full_listener()
    c = cookie_synack(L, i, 5002, now=100)
    iss = c.seq
    # the third segment carries a request; the cookie is good
    send(L, SEG(seq=REMOTE_SEQ + 1, ack=iss + 1, sport=5002, data=b"GET /"), now=200, iface=i)
    assert L.cookies.accepted == 1 and L.evicted == 1
    expect(L, [SEG_R(seq=iss + 1, ack=REMOTE_SEQ + 6, dport=5002, win=59)], now=200, iface=i)
    s = L.accept()
    assert s.state == tcp.ESTABLISHED and s.remote_port == 5002
    # no MSS option in the SYN: 536 (RFC 9293 3.7.1), the table's first entry
    assert s.snd_mss == 536 and not s.ws_ok and not s.sack_ok and not s.ts_ok
    assert recv_all(s) == b"GET /"
    s.send(b"200 OK")
    expect(s, [SEG_R(seq=iss + 1, ack=REMOTE_SEQ + 6, dport=5002, data=b"200 OK", win=59)],
           now=210, iface=i)


def test_cookie_with_timestamps_keeps_ws_sack_mss():
    L, i = full_listener(timestamps=True, sack=True, window_scale=True)
    c = cookie_synack(L, i, 5002, now=500, mss=1400, ws=7, sack_perm=True,
                      ts=(123456, 0))
    tsval = c.ts[0]
    # window shift 7 and SACK-permitted (0x10) in TSval's low 6 bits, which
    # never runs ahead of the tuple's clock
    assert tsval & 0x3F == 0x17
    assert c == SEG_R(seq=c.seq, ack=REMOTE_SEQ + 1, flags=SYN, mss=BASE_MSS, dport=5002,
                      ts=(tsval, 123456), ws=0, sack_perm=True)
    send(L, SEG(seq=REMOTE_SEQ + 1, ack=c.seq + 1, sport=5002, ts=(123500, tsval)),
         now=550, iface=i)
    s = L.accept()
    assert s is not None and s.state == tcp.ESTABLISHED
    assert s.snd_mss == 1220              # the table entry below 1400
    assert s.ws_ok and s.snd_ws == 7 and s.sack_ok and s.ts_ok
    s.send(b"x")
    # our TSval goes on from the one the peer echoed: 50 ms later
    expect(s, [SEG_R(seq=c.seq + 1, ack=REMOTE_SEQ + 1, dport=5002, data=b"x", win=64,
                     ts=((tsval + 50) & M32, 123500))], now=600, iface=i)


def test_cookie_without_ts_drops_ws_and_sack():
    L, i = full_listener(sack=True, window_scale=True)
    c = cookie_synack(L, i, 5002, mss=536, ws=3, sack_perm=True)
    assert c == SEG_R(seq=c.seq, ack=REMOTE_SEQ + 1, flags=SYN, mss=BASE_MSS, dport=5002)
    send(L, SEG(seq=REMOTE_SEQ + 1, ack=c.seq + 1, sport=5002), iface=i)
    s = L.accept()
    assert s.snd_mss == 536 and not s.ws_ok and not s.sack_ok


def test_bad_cookie_gets_rst():
    L, i = full_listener()
    c = cookie_synack(L, i, 5002)
    # (like Linux's, a cookie is good with any of the 4 MSS indexes: the
    # SYN's was 0, so +1..+3 would pass; +5 means index 4)
    for ack in (c.seq + 5, c.seq, c.seq + 0x10000001):
        send(L, SEG(seq=REMOTE_SEQ + 1, ack=ack, sport=5002), iface=i)
        assert i.sent[-1] == SEG_R(seq=ack, ack=None, flags=RST, win=0, dport=5002)
    # another 4-tuple cannot use it either
    send(L, SEG(seq=REMOTE_SEQ + 1, ack=c.seq + 1, sport=5003), iface=i)
    assert i.sent[-1] == SEG_R(seq=c.seq + 1, ack=None, flags=RST, win=0, dport=5003)
    assert len(i.sent) == 6
    assert L.cookies.bad == 4 and L.cookies.accepted == 0 and L.pending() == 0


def test_cookie_expires_after_two_counts():
    L, i = full_listener()
    c = cookie_synack(L, i, 5002, now=10)
    # one count (65.5 s) later it is still good ...
    t = 10 + 65536
    send(L, syn(5003), now=t, iface=i)          # (keeps cookies armed)
    recv(L, now=t, iface=i)
    send(L, SEG(seq=REMOTE_SEQ + 1, ack=c.seq + 1, sport=5002), now=t, iface=i)
    assert L.cookies.accepted == 1
    # ... two counts later it is not
    L2, i2 = full_listener()
    c = cookie_synack(L2, i2, 5002, now=10)
    send(L2, SEG(seq=REMOTE_SEQ + 1, ack=c.seq + 1, sport=5002), now=10 + 2 * 65536,
         iface=i2)
    assert L2.cookies.accepted == 0 and L2.cookies.bad == 1


def test_ack_to_listener_without_cookies_sent_not_taken():
    L, i = listener()
    assert send(L, SEG(sport=5002), iface=i, accept=False) == 0   # the Interface RSTs


def test_cookie_replies_sent_from_process():
    # nothing waits for dispatch(): no queue a flood could fill
    L, i = full_listener()
    for p in range(6000, 6006):
        send(L, syn(p), iface=i)
    assert L.cookies.sent == 6
    got = i.sent[-6:]
    assert [g.dport for g in got] == list(range(6000, 6006))
    assert all(g.flags == SYN and g.ack == REMOTE_SEQ + 1 for g in got)
    expect_none(L, iface=i)
    assert L.poll_at(0) > 0


def test_cookie_reply_unresolved_dropped():
    L, i = full_listener()
    i.neighbor_pending = True
    send(L, syn(5002), iface=i)
    expect_none(L, iface=i)
    assert L.cookies.unresolved == 1 and L.cookies.sent == 0


def test_half_open_unresolved_freed_after_neighbor_timeout():
    L, i = listener()
    i.neighbor_pending = True                   # the SYN's source never answers
    send(L, syn(5001), iface=i)
    t = 0
    while t < 3000:
        recv(L, now=t, iface=i)
        assert L.slots[0].state == tcp.SYN_RECEIVED
        t += 20
    recv(L, now=3000, iface=i)
    assert L.slots[0].state == tcp.CLOSED and i.sent == []
    i.neighbor_pending = False
    send(L, syn(5002), now=3001, iface=i)
    expect(L, [synack(5002)], now=3001, iface=i)  # a slot again, not a cookie


class QuietIface(FakeIface):
    """Sends into the void without recording (FakeIface's records use the
    heap): for the allocation test."""

    def tx_begin(self, dst, doff, alen, src, soff, now):
        return 34

    def tx_finish(self, proto, l4_len, payload_off=-1, payload_sum=0):
        self.summed += 1
        return True


def _cookie_rounds(ctx):
    L, i, raw_syn, n, raw_ack, m = ctx
    ck = L.cookies
    b = i.rx_buf
    ok = 0
    for t in range(200):
        copy(b, 0, raw_syn, 0, _L4 + n)
        L.process(i, _L4, n, t)
        copy(b, 0, raw_ack, 0, _L4 + m)
        if ck.check(i, _L4, L.opt, t):
            ok += 1
    return ok


def test_cookie_path_allocates_nothing():
    L, i = full_listener()
    n = i.put(syn(5002))
    raw_syn = bytes(i.rx_buf[:_L4 + n])
    L.process(i, _L4, n, 0)
    got = i.sent[-1]
    m = i.put(SEG(seq=REMOTE_SEQ + 1, ack=got.seq + 1, sport=5002))
    raw_ack = bytes(i.rx_buf[:_L4 + m])
    q = QuietIface()
    ctx = (L, q, raw_syn, n, raw_ack, m)
    # (one closed-over name: a closure over more than 5 allocates its call)
    assert heap_locked(lambda: _cookie_rounds(ctx)) == 200
    assert L.cookies.sent == 201 and q.summed == 200


# --- end to end, two Interfaces -------------------------------------------------
def _cookie_end_to_end(v6):
    from netpair import NetPair
    from smolnet.socket.tcp import TcpSocket
    p = NetPair()
    if v6:
        p.a.add_ip("2001:db8::1/64")
        p.b.add_ip("2001:db8::2/64")
    dst = "2001:db8::2" if v6 else "192.0.2.2"
    L = p.b.add_socket(TcpListener(1, 512, 512))
    L.listen(LOCAL_PORT)
    c1 = p.a.add_socket(TcpSocket(512, 512))
    c1.connect(dst, LOCAL_PORT)
    p.run(50)
    assert c1.state == tcp.ESTABLISHED and L.pending() == 1     # not accepted yet
    # the only slot holds an established connection: c2 gets a cookie, and
    # its ACK finds no slot (an established one is never evicted)
    c2 = p.a.add_socket(TcpSocket(512, 512))
    c2.connect(dst, LOCAL_PORT)
    p.run(50)
    assert c2.state == tcp.ESTABLISHED
    assert L.cookies.sent == 1 and L.cookies.accepted == 0 and L.syn_dropped == 1
    c2.send(b"hello")                  # its data carries the cookie again
    p.run(50)
    assert L.syn_dropped == 2
    s1 = L.accept()                    # a slot frees up ...
    assert s1.remote_port == c1.local_port
    p.run(3000)                        # ... and c2's retransmission takes it
    assert L.cookies.accepted == 1
    s2 = L.accept()
    assert s2 is not None and s2.remote_port == c2.local_port and s2.alen == (16 if v6 else 4)
    assert recv_all(s2) == b"hello"
    s2.send(b"world")
    p.run(50)
    assert recv_all(c2) == b"world"
    assert c2.retransmits > 0 and p.b.stats.drop_internal_error == 0


def test_cookie_end_to_end_ipv4():
    _cookie_end_to_end(False)


def test_cookie_end_to_end_ipv6():
    _cookie_end_to_end(True)
