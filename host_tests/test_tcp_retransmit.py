# runtimes: cpython unix wasm
# Retransmission: RFC 6298 RTO estimation, backoff and Karn's rule; go-back-N
# after a timeout; fast retransmit and NewReno fast recovery (RFC 5681, 6582);
# slow start limits from the congestion window.
from tcp_harness import (SEG, SEG_R, FIN, LOCAL_SEQ, REMOTE_SEQ, send, recv, expect,
                         expect_none, socket_established, iface_of)
from smolnet.socket.tcp_timers import RttEstimator

W = 8192


def _est(**kw):
    d = dict(tx=16384, nodelay=True)
    for k in kw:
        d[k] = kw[k]
    s = socket_established(**d)
    send(s, SEG(win=W))
    return s


def _ack(s, n, now=0, **kw):
    send(s, SEG(ack=LOCAL_SEQ + 1 + n, win=W, **kw), now=now)


# --- the estimator ------------------------------------------------------------------
def test_rtt_first_and_second_sample():
    e = RttEstimator(1000, 200, 60000)
    assert e.rto == 1000
    e.sample(100)
    assert (e.srtt(), e.rttvar(), e.rto) == (100, 50, 300)
    e.sample(200)
    assert (e.srtt(), e.rttvar(), e.rto) == (112, 62, 362)


def test_rtt_clamps():
    e = RttEstimator(1000, 200, 3000)
    e.sample(1)
    assert e.rto == 200
    e.sample(100000)
    assert e.rto == 3000
    e = RttEstimator(5000, 200, 3000)
    assert e.rto == 3000


def test_rtt_backoff_and_reset():
    e = RttEstimator(1000, 200, 5000)
    e.sample(100)
    e.on_timeout()
    assert e.rto == 600 and e.backoff == 1
    e.on_timeout()
    e.on_timeout()
    assert e.rto == 2400
    e.on_timeout()
    assert e.rto == 4800
    e.on_timeout()
    assert e.rto == 5000
    e.sample(100)
    assert e.backoff == 0 and e.rto < 1000


def test_rtt_converges():
    e = RttEstimator(1000, 1, 60000)
    for _ in range(100):
        e.sample(50)
    assert e.srtt() == 50 and e.rto <= 54


# --- timeouts -------------------------------------------------------------------------
def test_retransmit_with_backoff():
    s = _est()
    s.send(b"abc")
    expect(s, [SEG_R(data=b"abc")])
    rto = s.rto_ms()
    expect_none(s, now=rto - 1)
    expect(s, [SEG_R(data=b"abc")], now=rto)
    expect_none(s, now=3 * rto - 1)
    expect(s, [SEG_R(data=b"abc")], now=3 * rto)
    expect(s, [SEG_R(data=b"abc")], now=7 * rto)
    assert s.retransmits == 3
    _ack(s, 3, now=7 * rto + 1)
    assert s.poll_at(7 * rto + 1) == -1
    expect_none(s, now=100 * rto)


def test_rtt_measured_without_timestamps():
    s = _est(rto_min_ms=10)
    s.send(b"abc")
    recv(s, now=1000)
    _ack(s, 3, now=1100)
    assert s.rtte.srtt() == 12 and s.rto_ms() == 112


def test_karn_no_sample_from_retransmission():
    s = _est(rto_min_ms=10)
    s.send(b"abc")
    recv(s, now=0)
    rto = s.rto_ms()
    expect(s, [SEG_R(data=b"abc")], now=rto)
    samples = s.rtte.samples
    _ack(s, 3, now=rto + 5)
    assert s.rtte.samples == samples
    assert s.rto_ms() == 2 * rto        # the backed-off value stays


def test_retransmit_timer_restarts_on_partial_ack():
    s = _est()
    s.send(b"a" * 100)
    recv(s, now=0)
    s.send(b"b" * 100)
    recv(s, now=50)
    _ack(s, 100, now=150)
    rto = s.rto_ms()
    assert s.poll_at(150) == rto


def test_go_back_n_after_timeout():
    s = _est(tlp=False)
    s.send(b"a" * 536 + b"b" * 536 + b"c" * 536)
    got = recv(s)
    assert [len(g.data) for g in got] == [536, 536, 536]
    rto = s.rto_ms()
    got = recv(s, now=rto)
    assert [g.seq for g in got] == [LOCAL_SEQ + 1]            # cwnd = 1 MSS
    assert s.cwnd() == 536
    _ack(s, 536, now=rto + 10)
    got = recv(s, now=rto + 10)
    assert [g.seq for g in got] == [LOCAL_SEQ + 537, LOCAL_SEQ + 1073]
    _ack(s, 3 * 536, now=rto + 20)
    expect_none(s, now=rto + 20)


def test_fin_retransmitted_with_data_after_timeout():
    s = _est()
    s.send(b"xyz")
    s.close()
    expect(s, [SEG_R(data=b"xyz", flags=FIN)])
    rto = s.rto_ms()
    expect(s, [SEG_R(data=b"xyz", flags=FIN)], now=rto)


# --- slow start ----------------------------------------------------------------------
def test_initial_window_and_slow_start():
    s = _est()
    s.send(b"x" * 8000)
    got = recv(s)
    assert [len(g.data) for g in got] == [536] * 4           # IW = 4 * 536 (RFC 5681)
    _ack(s, 536)
    got = recv(s)
    assert len(got) == 2                                       # +1 MSS per MSS acked
    _ack(s, 2 * 536)
    assert len(recv(s)) == 2


# --- fast retransmit / NewReno --------------------------------------------------------
def _four_segments():
    s = _est()
    for k in range(4):
        s.send(bytes([65 + k]) * 100)
        recv(s)
    assert s.snd_max - s.snd_una == 400
    return s


def test_fast_retransmit_on_third_dupack():
    s = _four_segments()
    _ack(s, 100)
    _ack(s, 100)
    _ack(s, 100)
    expect_none(s)
    _ack(s, 100)
    # the first unacknowledged MSS goes again (repacketized: B, C and D)
    expect(s, [SEG_R(seq=LOCAL_SEQ + 101, data=b"B" * 100 + b"C" * 100 + b"D" * 100,
                     win=64)])
    assert s.in_recovery
    assert s.cc.ssthresh == 1072 and s.cwnd() == 1072 + 3 * 536


def test_dupacks_with_data_or_new_window_do_not_count():
    s = _four_segments()
    _ack(s, 100)
    send(s, SEG(ack=LOCAL_SEQ + 101, win=W, data=b"1"))
    send(s, SEG(seq=REMOTE_SEQ + 2, ack=LOCAL_SEQ + 101, win=W + 1))
    send(s, SEG(seq=REMOTE_SEQ + 2, ack=LOCAL_SEQ + 101, win=W + 2))
    recv(s)
    assert not s.in_recovery and s.dupacks == 0


def test_newreno_partial_and_full_ack():
    s = _four_segments()
    for _ in range(4):
        _ack(s, 100)
    expect(s, [SEG_R(seq=LOCAL_SEQ + 101, data=b"BBBBB" * 20 + b"C" * 100 + b"D" * 100,
                     win=64)])
    _ack(s, 200)                     # partial: C is lost too
    expect(s, [SEG_R(seq=LOCAL_SEQ + 201, data=b"C" * 100 + b"D" * 100, win=64)])
    assert s.in_recovery
    _ack(s, 400)                     # full ACK: recovery over
    assert not s.in_recovery
    assert s.cwnd() == 536 + 536 or s.cwnd() <= s.cc.ssthresh


def test_recovery_inflates_and_sends_new_data():
    s = _four_segments()
    for _ in range(4):
        _ack(s, 100)
    recv(s)
    s.send(b"N" * 100)
    got = recv(s)
    # cwnd = ssthresh + 3 MSS = 2680 > 400 in flight: new data may go
    assert [g.data for g in got] == [b"N" * 100]


def test_no_second_recovery_for_old_losses():
    s = _four_segments()
    for _ in range(4):
        _ack(s, 100)
    recv(s)
    _ack(s, 400)
    assert not s.in_recovery
    # duplicate ACKs for data sent before `recover` do not start another one
    s.recover = s.snd_max + 100
    s.send(b"Z" * 100)
    recv(s)
    for _ in range(4):
        _ack(s, 400)
    assert not s.in_recovery


def test_timeout_during_recovery_exits_it():
    s = _four_segments()
    for _ in range(4):
        _ack(s, 100)
    recv(s)
    t = s.poll_at(0)
    got = recv(s, now=t)
    assert not s.in_recovery
    assert got[0].seq == LOCAL_SEQ + 101 and s.cwnd() == 536


def test_early_retransmit_with_few_segments():
    # RFC 5827: two full segments out, nothing more to send: one duplicate
    # ACK is all that can come, so it triggers the retransmission
    s = _est(nodelay=False)
    s.send(b"P" * 536 + b"Q" * 536)
    assert len(recv(s)) == 2
    _ack(s, 0)
    expect(s, [SEG_R(data=b"P" * 536, win=64)])
    assert s.in_recovery


def test_limited_transmit():
    # RFC 3042: the first two duplicate ACKs each let one new segment out
    s = _est()
    s.send(b"x" * (4 * 536))
    assert len(recv(s)) == 4          # the initial window
    s.send(b"y" * 1000)
    expect_none(s)
    _ack(s, 0)
    got = recv(s)
    assert [len(g.data) for g in got] == [536]
    _ack(s, 0)
    got = recv(s)
    assert [len(g.data) for g in got] == [464]


# --- tail loss probes (RFC 8985 7) ----------------------------------------------------
def _srtt50(s):
    s.rtte.reset()
    s.rtte.sample(50)            # SRTT 50 ms, RTO 200 ms


def test_tail_loss_probe_resends_last_segment():
    s = _est(tx=2048)
    _srtt50(s)
    s.send(b"a" * 536 + b"b" * 536 + b"c" * 100)
    got = recv(s)
    assert [len(g.data) for g in got] == [536, 536, 100]
    assert s.poll_at(0) == 100                      # PTO = 2 * SRTT
    expect_none(s, now=99)
    # the last MSS worth of bytes (segment boundaries are not kept)
    expect(s, [SEG_R(seq=LOCAL_SEQ + 637, data=b"b" * 436 + b"c" * 100, win=64)], now=100)
    assert s.tlps == 1
    # no second probe: the RTO comes next
    assert s.poll_at(100) == 200
    got = recv(s, now=300)
    assert got[0].seq == LOCAL_SEQ + 1 and s.timeouts == 1


def test_tail_loss_probe_waits_for_the_neighbor():
    # the probe timer fires while the neighbor entry is being resolved again:
    # the probe goes once it answers (it was lost, and with it the only
    # timer, leaving the flight to wait for the peer forever)
    s = _est(tx=2048)
    _srtt50(s)
    s.send(b"a" * 536 + b"b" * 536 + b"c" * 100)
    assert len(recv(s)) == 3
    i = iface_of(s)
    i.neighbor_pending = True
    expect_none(s, now=100)
    assert s.tlps == 0 and s.poll_at(100) == 20       # the neighbor hold
    i.neighbor_pending = False
    expect(s, [SEG_R(seq=LOCAL_SEQ + 637, data=b"b" * 436 + b"c" * 100, win=64)], now=120)
    assert s.tlps == 1 and s.rtx_on


def test_tail_loss_probe_sends_new_data_first():
    s = _est(tx=4096)
    _srtt50(s)
    s.send(b"x" * (4 * 536))
    assert len(recv(s)) == 4                          # cwnd full
    s.send(b"y" * 100)
    expect_none(s)
    expect(s, [SEG_R(seq=LOCAL_SEQ + 1 + 4 * 536, data=b"y" * 100, win=64)], now=100)


def test_tail_loss_probe_one_segment_waits_for_delayed_ack():
    s = _est(nodelay=False)
    _srtt50(s)
    s.send(b"z" * 100)
    recv(s)
    assert s.poll_at(0) == 200                      # min(2*SRTT + 200, RTO)
    got = recv(s, now=200)
    assert s.tlps == 0 and s.timeouts == 1 and len(got) == 1


def test_probe_ack_restarts_clock():
    s = _est()
    _srtt50(s)
    s.send(b"a" * 536 * 3)
    recv(s)
    recv(s, now=100)                                  # the probe
    _ack(s, 3 * 536, now=120)
    assert s.poll_at(120) == -1 and s.timeouts == 0
    s.send(b"n" * 536 * 2)
    recv(s, now=130)
    assert s.rtx_tlp                                  # probing armed again


def test_tail_loss_probe_can_be_turned_off():
    s = _est(tlp=False)
    _srtt50(s)
    s.send(b"a" * 536 * 3)
    recv(s)
    assert s.poll_at(0) == s.rto_ms()


def test_cubic_selectable():
    s = _est(cc="cubic")
    from smolnet.socket.tcp_cubic import Cubic
    assert isinstance(s.cc, Cubic)
    s.send(b"x" * 100)
    recv(s)
    _ack(s, 100)
    assert s.cwnd() >= 4 * 536
