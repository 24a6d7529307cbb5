# runtimes: cpython unix wasm
# Sequence numbers across 2**32 and the rebasing that keeps every offset a
# small int however long a connection lives (smolnet/socket/tcp_seq.py).
from tcp_harness import connect_pair, M32
import smolnet.socket.tcp as tcp
import smolnet.socket.tcp_ack as tcp_ack
import smolnet.socket.tcp_rx as tcp_rx
from smolnet.socket.tcp_seq import REBASE, base_hi, base_lo


def _pattern(n, salt):
    b = bytearray(n)
    for i in range(n):
        b[i] = ((i * 13) ^ salt) & 0xFF
    return b


def _pump(a, b, link, data, now=0, hook=None):
    """Send data from a to b over the link; returns what b read."""
    got = bytearray(len(data))
    n = 0
    sent = 0
    for _ in range(100000):
        if sent < len(data):
            sent += a.send(data, sent, len(data) - sent)
        link.run(now)
        while n < len(got):
            k = b.recv_into(got, n, len(got) - n)
            if k <= 0:
                break
            n += k
        if hook is not None:
            hook()
        if n >= len(data):
            break
    return got[:n]


def _continuous(segs):
    """Data segments follow each other on the wire, mod 2**32."""
    nxt = None
    wrapped = False
    for seq, n in segs:
        if not n:
            continue
        if nxt is not None:
            assert seq == nxt, (seq, nxt)
        nxt = (seq + n) & M32
        if seq + n > M32:
            wrapped = True
    return wrapped


def test_transfer_across_wrap():
    a, b, link = connect_pair(iss=0xFFFFFFF0, rx=4096, tx=4096, nodelay=True)
    data = _pattern(100000, 1)
    assert _pump(a, b, link, data) == data
    assert _continuous(link.log_a)


def test_transfer_from_both_isns_near_wrap():
    a, b, link = connect_pair(iss=0xFFFFFFFF, rx=2048, tx=2048)
    d1 = _pattern(30000, 2)
    d2 = _pattern(30000, 3)
    assert _pump(a, b, link, d1) == d1
    assert _pump(b, a, link, d2) == d2


def test_forced_rebase_mid_transfer():
    # rebasing at arbitrary moments changes nothing on the wire
    a, b, link = connect_pair(iss=0xFFFF0000, rx=4096, tx=4096)
    state = [0]

    def hook():
        state[0] += 1
        if state[0] % 7 == 0 and a.snd_una > 0:
            tcp_ack._rebase_snd(a)
        if state[0] % 5 == 0 and b.rcv_nxt > 0:
            tcp_rx._rebase_rcv(b)

    data = _pattern(120000, 4)
    assert _pump(a, b, link, data, hook=hook) == data
    assert _continuous(link.log_a)
    assert a.snd_una < 120000            # it did move the base


def _skip_ahead_snd(s, k):
    # move the send base back by k and every send offset forward by k: the
    # connection is unchanged on the wire, but looks k bytes older
    s.snd_bhi = base_hi(s.snd_bhi, s.snd_blo, -k)
    s.snd_blo = base_lo(s.snd_blo, -k)
    for name in ("snd_una", "snd_nxt", "snd_max", "snd_wl2", "recover", "rtt_seq",
                 "fin_seq", "high_rxt", "rtx_mark"):
        setattr(s, name, getattr(s, name) + k)


def _skip_ahead_rcv(s, k):
    s.rcv_bhi = base_hi(s.rcv_bhi, s.rcv_blo, -k)
    s.rcv_blo = base_lo(s.rcv_blo, -k)
    for name in ("rcv_nxt", "rcv_adv", "last_ack_sent", "snd_wl1", "fin_ooo_at"):
        setattr(s, name, getattr(s, name) + k)


def test_automatic_rebase_past_threshold():
    a, b, link = connect_pair(iss=0x7FFFFFF0, rx=4096, tx=4096)
    # make the connection look as if 2**27 bytes had already gone by
    _skip_ahead_snd(a, REBASE - 5000)
    _skip_ahead_rcv(b, REBASE - 5000)
    _skip_ahead_rcv(a, 1000)
    _skip_ahead_snd(b, 1000)
    data = _pattern(60000, 5)
    assert _pump(a, b, link, data) == data
    assert a.snd_una < 60000 and b.rcv_nxt < 60000     # both rebased
    back = _pattern(5000, 6)
    assert _pump(b, a, link, back) == back
    a.close()
    link.run()
    assert b.at_eof()
    b.close()
    link.run()
    assert b.state == tcp.CLOSED and a.state == tcp.TIME_WAIT


def test_offsets_stay_small_over_long_transfer():
    a, b, link = connect_pair(iss=0xFFFFF000, rx=4096, tx=4096)
    _skip_ahead_snd(a, REBASE - 100)
    _skip_ahead_rcv(b, REBASE - 100)
    data = _pattern(20000, 7)
    for _ in range(3):
        assert _pump(a, b, link, data) == data
        for v in (a.snd_una, a.snd_nxt, a.snd_max, b.rcv_nxt, b.rcv_adv):
            assert -0x40000000 <= v < REBASE + 0x100000
