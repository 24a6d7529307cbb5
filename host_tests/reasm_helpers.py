# What test_reasm4 and test_reasm6 both do: a TCP transfer in both
# directions through links that fragment (allocates), and a steady stream
# of fragmented datagrams under heap_lock.
from smolnet.fast import equal
from support import heap_locked, runtime
from netpair import Clock

ORDERS = ((0, 1, 2), (2, 1, 0), (1, 0, 0, 2))   # the last with a duplicate


def send(peer, frames, order=None):
    """Send frames (all, or the ones order names, in its order) to the
    Interface at the other end of the Loopback."""
    for k in (order if order is not None else range(len(frames))):
        f = frames[k]
        assert peer.send(f, len(f))


def recv(u, size=8192):
    """The next datagram a UdpSocket holds, or None."""
    buf = bytearray(size)
    n = u.recv_into(buf)
    return bytes(buf[:n]) if n >= 0 else None


def tcp_both_ways(ia, ib, a, b, data, back, rounds=3000):
    """Send data from socket a (on ia) to b (on ib) and back from b to a,
    polling both with a fake clock until each side has it all or rounds
    run out. Returns (what b got, what a got) as bytes."""
    clock = Clock()
    sent = 0
    sent_b = 0
    got = bytearray()
    got_a = bytearray()
    buf = bytearray(4096)
    for _ in range(rounds):
        if sent < len(data) and a.may_send():
            sent += a.send(data, sent, len(data) - sent)
        if sent_b < len(back) and b.may_send():
            sent_b += b.send(back, sent_b, len(back) - sent_b)
        ia.poll(clock.t)
        ib.poll(clock.t)
        n = b.recv_into(buf)
        if n > 0:
            got += buf[:n]
        n = a.recv_into(buf)
        if n > 0:
            got_a += buf[:n]
        clock.t += 1
        if len(got) == len(data) and len(got_a) == len(back):
            break
    return bytes(got), bytes(got_a)


def steady_stream(i, peer, u, frames, check_off, check_len, timeout_ms, error_len):
    """Send the 3 fragments of a 4000-byte UDP datagram to u in the
    ORDERS in turn, 6 rounds to warm up, then 300 (60 on wasm) under
    heap_lock, each followed by a datagram missing its middle and its
    timeout: every datagram must arrive (check_len bytes at check_off of
    frames[0] are its start) and every timeout bring back error_len bytes.
    Returns the rounds run under heap_lock."""
    buf = bytearray(4096)
    res = [0, 0, 0]
    _stream(i, peer, u, frames, buf, 6, res, check_off, check_len, timeout_ms)
    assert res[0] == 6 and res[2] == error_len, res
    rounds = 60 if runtime == "wasm" else 300
    ctx = (i, peer, u, frames, buf, rounds, res, check_off, check_len, timeout_ms)
    heap_locked(lambda: _stream(ctx[0], ctx[1], ctx[2], ctx[3], ctx[4], ctx[5], ctx[6],
                                ctx[7], ctx[8], ctx[9]))
    assert res[0] == rounds and res[2] == error_len, res
    return rounds


def _stream(i, peer, u, frames, buf, rounds, res, check_off, check_len, timeout_ms):
    ok = 0
    t = res[1]
    for k in range(rounds):
        for j in ORDERS[k % 3]:
            f = frames[j]
            peer.send(f, len(f))
        i.poll(t)
        n = u.recv_into(buf)
        if n == 4000 and equal(buf, 0, frames[0], check_off, check_len):
            ok += 1
        t += 1
    # a datagram missing its middle: Time Exceeded after the timeout
    for j in (0, 2):
        f = frames[j]
        peer.send(f, len(f))
    i.poll(t)
    t += timeout_ms
    i.poll(t)
    res[2] = peer.recv_into(buf)
    res[0] = ok
    res[1] = t
