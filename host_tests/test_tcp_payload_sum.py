# runtimes: cpython unix wasm
# TCP sums a segment's payload while it copies it from the send ring into the
# frame (RingBuffer.peek_sum over fast.copy_sum16) and hands that sum to
# iface.tx_finish, which then reads only the header again. The harness's
# FakeIface checks every such sum against the bytes in the frame; here the
# ring wraps after odd and even counts, and real Interfaces (IPv4 and IPv6,
# strict checksums) carry a transfer whose segments wrap the same way.
from tcp_harness import SEG, LOCAL_SEQ, recv, send, socket_established, iface_of
from netpair import NetPair, IP_B
from smolnet.socket.tcp import TcpSocket, ESTABLISHED
from smolnet.socket.tcp_listen import TcpListener


def test_payload_sum_across_ring_wrap_every_offset():
    s = socket_established(tx=13, nodelay=True)
    i = iface_of(s)
    data = bytes((k * 37 + 11) & 0xFF for k in range(256))
    sent = 0
    segs = 0
    first = i.summed
    for k in range(60):
        n = k % 13 + 1                 # 1..13 bytes: the head moves by all residues
        o = sent % 200
        assert s.send(data, o, n) == n
        out = recv(s)
        assert b"".join(g.data for g in out) == data[o:o + n], k
        segs += len(out)
        sent += n
        send(s, SEG(seq=(-10001 + 1), ack=LOCAL_SEQ + 1 + sent))
    assert i.summed - first == segs and segs >= 60


def test_payload_sum_retransmission_and_window_probe():
    # a retransmission re-reads the ring from another offset; a probe sends
    # one byte: both come with their sum
    s = socket_established(tx=13, nodelay=True)
    i = iface_of(s)
    assert s.send(b"abcdefg") == 7
    assert recv(s)[0].data == b"abcdefg"
    send(s, SEG(seq=(-10001 + 1), ack=LOCAL_SEQ + 4))     # 3 bytes acked
    before = i.summed
    out = recv(s, now=5000)                               # RTO: the rest again
    assert out and out[0].data == b"defg"
    assert i.summed == before + len(out)


def _bulk(p, a, b, total):
    src = bytes((k * 7 + (k >> 8)) & 0xFF for k in range(4093))   # odd length
    got = bytearray()
    buf = bytearray(997)
    sent = 0
    t = p.clock.t
    for _ in range(20000):
        if sent < total:
            o = sent % len(src)
            k = total - sent
            if k > len(src) - o:
                k = len(src) - o
            sent += a.send(src, o, k)
        p.a.poll(t)
        p.b.poll(t)
        while True:
            k = b.recv_into(buf)
            if k <= 0:
                break
            got += buf[:k]
        t += 1
        p.clock.t = t
        if len(got) >= total:
            break
    want = bytearray()
    while len(want) < total:
        want += src
    return bytes(got) == bytes(want[:total])


def test_transfer_between_interfaces_checksums_hold():
    # an odd-sized ring: segments wrap after odd counts; a strict receiver
    # drops any segment whose checksum is wrong
    p = NetPair()
    L = p.b.add_socket(TcpListener(1, 4099, 4099))
    L.listen(7000)
    a = p.a.add_socket(TcpSocket(4099, 4099))
    a.connect(IP_B, 7000)
    p.run(100)                     # ARP, then the handshake
    b = L.accept()
    p.b.add_socket(b)
    assert a.state == ESTABLISHED
    assert _bulk(p, a, b, 60000)
    assert p.a.stats.drop_bad_checksum == 0 and p.b.stats.drop_bad_checksum == 0
