# runtimes: cpython unix wasm
# Bad and random input never raises out of process()/dispatch() and never
# pushes the state outside its small-int bounds (RFC 9293 3.10.7: every
# segment gets an answer or is dropped, nothing else).
from tcp_harness import (SEG, SYN, LOCAL_SEQ, REMOTE_SEQ, M32, iface_of, recv, send,
                         socket_listen, socket_syn_received, socket_syn_sent,
                         socket_established, socket_fin_wait_1, socket_fin_wait_2,
                         socket_close_wait, socket_last_ack, socket_closing,
                         socket_time_wait)
import smolnet.socket.tcp as tcp
import prng

LIMIT = 0x40000000


class Lcg(prng.Lcg):
    # prng's LCG drawn from bits 7 up: the draws this fuzzer's seeds and
    # round counts were chosen with
    def next(self, n):
        return (self.step() >> 7) % n


def _near(r, base):
    k = r.next(6)
    if k == 0:
        return r.next(0x10000) << 16 | r.next(0x10000)      # anywhere
    if k == 1:
        return base + 0x80000000                             # opposite side
    return base + r.next(400) - 200                          # close by


def _random_segment(r):
    flags = r.next(64)
    data = bytes(r.next(256) for _ in range(r.next(3) * r.next(40)))
    kw = dict(seq=_near(r, REMOTE_SEQ + 1), flags=flags & 0x2F, win=r.next(0x10000),
              data=data)
    kw["ack"] = _near(r, LOCAL_SEQ + 1) if flags & 0x10 or r.next(4) else None
    if r.next(3) == 0:
        kw["ts"] = (_near(r, 1000) & M32, r.next(5000))
    if r.next(4) == 0:
        kw["sack"] = [(_near(r, LOCAL_SEQ + 1) & M32, _near(r, LOCAL_SEQ + 100) & M32)]
    if r.next(6) == 0:
        kw["mss"] = r.next(0x10000)
    if r.next(6) == 0:
        kw["ws"] = r.next(20)
    return SEG(**kw)


def _scribble_options(r, i, n):
    # overwrite some option bytes with junk (lengths included)
    b = i.rx_buf
    hlen = (b[32] >> 4) * 4
    for _ in range(r.next(4)):
        if hlen > 20:
            b[20 + 20 + r.next(hlen - 20)] = r.next(256)
    if r.next(10) == 0:
        b[32] = r.next(256)                   # data offset nonsense


def _check(s):
    for name in ("snd_una", "snd_nxt", "snd_max", "snd_wnd", "rcv_nxt", "rcv_adv",
                 "last_ack_sent", "snd_wl1", "snd_wl2", "max_snd_wnd"):
        v = getattr(s, name)
        assert -LIMIT <= v < LIMIT, (name, v)
    assert 0 <= s.rx.used() <= s.rx.size and 0 <= s.tx.used() <= s.tx.size
    assert s.snd_una <= s.snd_max or s.state <= tcp.SYN_SENT
    assert s.cc.cwnd < LIMIT


def _fuzz(make, seed, rounds, **kw):
    r = Lcg(seed)
    s = make(**kw)
    i = iface_of(s)
    now = 0
    for k in range(rounds):
        seg = _random_segment(r)
        n = i.put(seg)
        if r.next(3) == 0:
            _scribble_options(r, i, n)
        if s.accepts(i, 20) > 0:
            s.process(i, 20, n, now)
        if r.next(4) == 0:
            s.send(b"payload", 0, r.next(8)) if s.may_send() else None
        if r.next(5) == 0:
            s.recv_into(bytearray(32)) if s.recv_avail() else None
        now += r.next(300)
        recv(s, now=now)
        s.poll_at(now)
        _check(s)
        if s.state == tcp.CLOSED:
            s = make(**kw)
            i = iface_of(s)
    return s


MAKERS = (socket_listen, socket_syn_received, socket_syn_sent, socket_established,
          socket_fin_wait_1, socket_fin_wait_2, socket_close_wait, socket_last_ack,
          socket_closing, socket_time_wait)


def test_fuzz_every_state():
    for k in range(len(MAKERS)):
        _fuzz(MAKERS[k], 1000 + k, 150)


def _established_opts(**kw):
    s = socket_listen(timestamps=True, sack=True, window_scale=True, rx=1 << 17,
                      ack_delay_ms=40, **kw)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, ts=(1000, 0), sack_perm=True, ws=7))
    recv(s)
    send(s, SEG(ts=(1001, 0)))
    assert s.ts_ok and s.sack_ok and s.ws_ok
    return s


def test_fuzz_with_all_options():
    for k in range(len(MAKERS)):
        _fuzz(MAKERS[k], 2000 + k, 100, timestamps=True, sack=True, window_scale=True,
              ack_delay_ms=40)
    _fuzz(_established_opts, 3000, 600)


def test_fuzz_established_long():
    _fuzz(socket_established, 77, 1500, sack=True, timestamps=True)
