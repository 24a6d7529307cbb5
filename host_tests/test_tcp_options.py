# runtimes: cpython unix wasm
# Options in use: timestamps and PAWS (RFC 7323), SACK generation (RFC 2018),
# out-of-order reassembly, option parsing robustness.
from tcp_harness import (SEG, SEG_R, SYN, FIN, RST, LOCAL_SEQ, REMOTE_SEQ, BASE_MSS,
                         send, recv, expect, expect_none, syn_ack, socket_listen,
                         socket_established, socket_syn_sent, recv_all, iface_of)
import smolnet.socket.tcp as tcp
import time


def _ts_established(now=0, peer_ts=1000, **kw):
    s = socket_listen(timestamps=True, **kw)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, ts=(peer_ts, 0)), now=now)
    expect(s, [syn_ack(s, ts=(now, peer_ts))], now=now)
    send(s, SEG(ts=(peer_ts + 1, now)), now=now)
    assert s.state == tcp.ESTABLISHED and s.ts_ok
    return s


def _sack_established(**kw):
    s = socket_listen(sack=True, **kw)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, sack_perm=True))
    expect(s, [syn_ack(s, sack_perm=True)])
    send(s, SEG())
    assert s.sack_ok
    return s


# --- timestamps ------------------------------------------------------------------
def test_ts_in_syn_when_connecting():
    s = socket_syn_sent(timestamps=True)
    expect(s, [SEG_R(seq=LOCAL_SEQ, ack=None, flags=SYN, mss=BASE_MSS, ts=(0, 0))])


def test_ts_syn_sent_negotiated():
    s = socket_syn_sent(timestamps=True)
    recv(s)
    send(s, SEG(seq=REMOTE_SEQ, ack=LOCAL_SEQ + 1, flags=SYN, ts=(777, 0)), now=30)
    assert s.ts_ok
    expect(s, [SEG_R(ts=(30, 777))], now=30)
    assert s.rtte.srtt() == 30        # RTT from the TSecr of the SYN-ACK


def test_ts_syn_sent_peer_without_ts():
    s = socket_syn_sent(timestamps=True)
    recv(s)
    send(s, SEG(seq=REMOTE_SEQ, ack=LOCAL_SEQ + 1, flags=SYN))
    assert not s.ts_ok
    expect(s, [SEG_R()])


def test_ts_on_every_segment():
    s = _ts_established()
    send(s, SEG(data=b"abc", ts=(1005, 0)), now=10)
    expect(s, [SEG_R(ack=REMOTE_SEQ + 4, win=61, ts=(10, 1005))], now=10)
    s.send(b"xy")
    expect(s, [SEG_R(ack=REMOTE_SEQ + 4, win=61, data=b"xy", ts=(12, 1005))], now=12)


def test_ts_rtt_from_tsecr():
    s = _ts_established()
    s.send(b"hello")
    expect(s, [SEG_R(data=b"hello", ts=(100, 1001))], now=100)
    send(s, SEG(ack=LOCAL_SEQ + 6, ts=(1002, 100)), now=180)
    assert s.rtte.srtt() == 80 or s.rtte.samples == 2


def test_ts_mss_shrinks_by_option():
    s = socket_listen(timestamps=True, tx=4096, nodelay=True)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, ts=(1, 0), mss=1000))
    recv(s)
    send(s, SEG(win=4000, ts=(2, 0)))
    s.send(b"z" * 2000)
    got = recv(s)
    assert [len(g.data) for g in got] == [988, 988, 24]


def test_paws_drops_old_timestamp():
    s = _ts_established()
    send(s, SEG(data=b"new", ts=(2000, 0)), now=5)
    expect(s, [SEG_R(ack=REMOTE_SEQ + 4, win=61, ts=(5, 2000))], now=5)
    send(s, SEG(seq=REMOTE_SEQ + 4, data=b"old", ts=(1999, 0)), now=6)
    assert s.recv_avail() == 3
    expect(s, [SEG_R(ack=REMOTE_SEQ + 4, win=61, ts=(6, 2000))], now=6)


def test_paws_across_ts_wrap():
    s = _ts_established(peer_ts=0xFFFFFF00)
    send(s, SEG(data=b"a", ts=(0x10, 0)), now=1)      # wrapped: newer
    assert s.recv_avail() == 1
    recv(s, now=1)
    send(s, SEG(seq=REMOTE_SEQ + 2, data=b"b", ts=(0xFFFFFFF0, 0)), now=2)
    assert s.recv_avail() == 1                         # older: dropped


def test_paws_does_not_apply_to_rst():
    s = _ts_established()
    send(s, SEG(flags=RST, ts=(5, 0)))
    assert s.state == tcp.CLOSED


def test_ts_recent_not_updated_by_out_of_order():
    s = _ts_established()
    send(s, SEG(seq=REMOTE_SEQ + 11, data=b"later", ts=(5000, 0)), now=1)
    expect(s, [SEG_R(ack=REMOTE_SEQ + 1, ts=(1, 1001))], now=1)
    send(s, SEG(data=b"0123456789", ts=(1002, 0)), now=2)
    expect(s, [SEG_R(ack=REMOTE_SEQ + 16, win=49, ts=(2, 1002))], now=2)


def test_ts_clock_follows_ticks_wrap():
    # ticks wrap at 2**30 on 32-bit ports (and in the CPython shim); TSval
    # keeps counting past it
    t0 = (1 << 30) - 5
    s = _ts_established(now=t0)
    s.send(b"x")
    expect(s, [SEG_R(data=b"x", ts=((1 << 30) + 5, 1001))], now=time.ticks_add(t0, 10))


def test_ts_offset_from_rfc6528_hash():
    s = socket_listen(timestamps=True, ts_offset=None, iss=None)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, ts=(1, 0)), now=0)
    got = recv(s)
    assert got[0].ts is not None and got[0].ts[1] == 1
    assert got[0].seq != LOCAL_SEQ or got[0].ts[0] != 0


# --- SACK generation -------------------------------------------------------------
def test_sack_permitted_needs_both():
    s = socket_listen(sack=True)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN))
    expect(s, [syn_ack(s)])
    assert not s.sack_ok
    s = socket_listen(sack=False)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, sack_perm=True))
    expect(s, [syn_ack(s)])
    assert not s.sack_ok


def test_sack_in_syn_when_connecting():
    s = socket_syn_sent(sack=True)
    expect(s, [SEG_R(seq=LOCAL_SEQ, ack=None, flags=SYN, mss=BASE_MSS, sack_perm=True)])


def test_sack_block_for_out_of_order():
    s = _sack_established()
    send(s, SEG(seq=REMOTE_SEQ + 11, data=b"klmno"))
    expect(s, [SEG_R(sack=[(REMOTE_SEQ + 11, REMOTE_SEQ + 16)])])
    send(s, SEG(seq=REMOTE_SEQ + 21, data=b"uvw"))
    expect(s, [SEG_R(sack=[(REMOTE_SEQ + 21, REMOTE_SEQ + 24),
                           (REMOTE_SEQ + 11, REMOTE_SEQ + 16)])])
    send(s, SEG(seq=REMOTE_SEQ + 16, data=b"pqrst"))
    expect(s, [SEG_R(sack=[(REMOTE_SEQ + 11, REMOTE_SEQ + 24)])])
    send(s, SEG(data=b"abcdefghij"))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 24, win=64 - 23)])
    assert recv_all(s) == b"abcdefghijklmnopqrstuvw"


def test_sack_blocks_limited_with_timestamps():
    s = socket_listen(sack=True, timestamps=True, rx=256)
    send(s, SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, sack_perm=True, ts=(1, 0)))
    recv(s)
    send(s, SEG(ts=(2, 0)))
    for k in range(4):
        send(s, SEG(seq=REMOTE_SEQ + 11 + 10 * k, data=b"x", ts=(3, 0)))
    got = recv(s)
    assert len(got[-1].sack) == 3
    assert got[-1].sack[0] == (REMOTE_SEQ + 41, REMOTE_SEQ + 42)


def test_sack_four_blocks_without_timestamps():
    s = _sack_established(rx=256)
    for k in range(4):
        send(s, SEG(seq=REMOTE_SEQ + 11 + 10 * k, data=b"x"))
    got = recv(s)
    assert len(got[-1].sack) == 4


# --- out-of-order reassembly ---------------------------------------------------------
def test_out_of_order_reassembly():
    s = socket_established()
    send(s, SEG(seq=REMOTE_SEQ + 4, data=b"def"))
    expect(s, [SEG_R()])
    send(s, SEG(seq=REMOTE_SEQ + 10, data=b"jkl"))
    expect(s, [SEG_R()])
    assert s.recv_avail() == 0
    send(s, SEG(seq=REMOTE_SEQ + 1, data=b"abc"))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 7, win=58)])
    send(s, SEG(seq=REMOTE_SEQ + 7, data=b"ghi"))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 13, win=52)])
    assert recv_all(s) == b"abcdefghijkl"


def test_out_of_order_overlapping():
    s = socket_established()
    send(s, SEG(seq=REMOTE_SEQ + 5, data=b"efgh"))
    send(s, SEG(seq=REMOTE_SEQ + 3, data=b"cdef"))
    send(s, SEG(seq=REMOTE_SEQ + 7, data=b"ghij"))
    recv(s)
    send(s, SEG(seq=REMOTE_SEQ + 1, data=b"ab"))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 11, win=54)])
    assert recv_all(s) == b"abcdefghij"


def test_out_of_order_too_many_gaps_dropped():
    s = socket_established(max_gaps=2)
    send(s, SEG(seq=REMOTE_SEQ + 3, data=b"c"))
    send(s, SEG(seq=REMOTE_SEQ + 5, data=b"e"))
    send(s, SEG(seq=REMOTE_SEQ + 7, data=b"g"))        # third hole: dropped
    recv(s)
    assert s.drops == 1
    send(s, SEG(seq=REMOTE_SEQ + 1, data=b"ab"))
    send(s, SEG(seq=REMOTE_SEQ + 4, data=b"d"))
    send(s, SEG(seq=REMOTE_SEQ + 6, data=b"fg"))
    assert recv_all(s) == b"abcdefg"


def test_out_of_order_fin_waits_for_data():
    s = socket_established()
    send(s, SEG(seq=REMOTE_SEQ + 4, data=b"def", flags=FIN))
    expect(s, [SEG_R()])
    assert s.state == tcp.ESTABLISHED
    send(s, SEG(seq=REMOTE_SEQ + 1, data=b"abc"))
    assert s.state == tcp.CLOSE_WAIT
    expect(s, [SEG_R(ack=REMOTE_SEQ + 8, win=58)])
    assert recv_all(s) == b"abcdef"


def test_duplicate_out_of_order_segment():
    s = socket_established()
    send(s, SEG(seq=REMOTE_SEQ + 4, data=b"def"))
    send(s, SEG(seq=REMOTE_SEQ + 4, data=b"def"))
    send(s, SEG(seq=REMOTE_SEQ + 1, data=b"abc"))
    assert recv_all(s) == b"abcdef"


def test_out_of_order_ack_is_immediate_with_delayed_acks():
    s = socket_established(ack_delay_ms=40, rx=4096)
    send(s, SEG(seq=REMOTE_SEQ + 100, data=b"x"))
    expect(s, [SEG_R(win=4096)])
    send(s, SEG(seq=REMOTE_SEQ + 1, data=b"y" * 99))
    expect(s, [SEG_R(ack=REMOTE_SEQ + 101, win=3996)])  # gap filled: at once


# --- option parsing robustness ------------------------------------------------------
def test_unknown_options_in_syn_ignored():
    s = socket_listen()
    i = iface_of(s)
    seg = SEG(seq=REMOTE_SEQ, ack=None, flags=SYN, mss=1000)
    n = i.put(seg)
    # replace the MSS option's room with: kind 30 len 4 (unknown), then MSS
    b = i.rx_buf
    assert s.accepts(i, 20) == 1
    raw = bytes([30, 4, 0, 0, 2, 4, 0x03, 0xe8])
    b[20 + 12] = (28 >> 2) << 4
    for k in range(8):
        b[20 + 20 + k] = raw[k]
    s.process(i, 20, 28, 0)
    assert s.state == tcp.SYN_RECEIVED and s.snd_mss == 1000
    assert n == 24


def test_malformed_options_dropped():
    s = socket_established()
    i = iface_of(s)
    i.put(SEG(data=b"abcd"))
    b = i.rx_buf
    # header length 24 with an option of length 0
    b[20 + 12] = (24 >> 2) << 4
    b[40] = 2
    b[41] = 0
    s.process(i, 20, 24, 0)
    assert s.drops == 1
    expect_none(s)


def test_bad_header_length_dropped():
    s = socket_established()
    i = iface_of(s)
    n = i.put(SEG(data=b"abcd"))
    i.rx_buf[20 + 12] = (60 >> 2) << 4
    s.process(i, 20, n, 0)
    assert s.drops == 1 and s.recv_avail() == 0
