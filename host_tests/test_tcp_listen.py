# runtimes: cpython unix wasm
# TcpListener: several pending connections on one port, a bounded accept
# queue, SYNs beyond it dropped.
from tcp_harness import (new_listener as listener, syn_from as syn, synack_to as synack,
                         SEG, SEG_R, SYN, FIN, RST, LOCAL_SEQ, REMOTE_SEQ, LOCAL_PORT,
                         send, recv, expect,
                         expect_none, raises, recv_all, new_socket)
import smolnet.socket.tcp as tcp
import smolnet.socket.errno as errno
from smolnet.socket.tcp_listen import TcpListener


def handshake(L, i, port, now=0):
    send(L, syn(port), now=now, iface=i)
    expect(L, [synack(port)], now=now, iface=i)
    send(L, SEG(sport=port), now=now, iface=i)


def test_listener_handshake_and_accept():
    L, i = listener()
    assert L.accept() is None
    handshake(L, i, 5000)
    assert L.pending() == 1
    s = L.accept()
    assert s is not None and s.state == tcp.ESTABLISHED
    assert s.remote_port == 5000 and s.local_port == LOCAL_PORT
    assert s in i.sockets          # registered with the Interface
    assert L.pending() == 0 and L.accept() is None


def test_listener_several_pending_in_order():
    L, i = listener(backlog=3)
    send(L, syn(5001), iface=i)
    send(L, syn(5002), iface=i)
    send(L, syn(5003), iface=i)
    got = recv(L, iface=i)
    assert sorted(g.dport for g in got) == [5001, 5002, 5003]
    send(L, SEG(sport=5002), now=10, iface=i)
    send(L, SEG(sport=5003), now=20, iface=i)
    send(L, SEG(sport=5001), now=30, iface=i)
    assert L.pending() == 3
    assert [L.accept().remote_port for _ in range(3)] == [5002, 5003, 5001]


def test_listener_backlog_full_drops_syn():
    L, i = listener(backlog=2, syn_cookies=False)   # cookies: test_tcp_cookie.py
    handshake(L, i, 5001)
    handshake(L, i, 5002)
    send(L, syn(5003), iface=i)
    expect_none(L, iface=i)
    assert L.syn_dropped == 1
    s = L.accept()
    assert s.remote_port == 5001
    send(L, syn(5003), iface=i)
    expect(L, [synack(5003)], iface=i)


def test_listener_half_open_counts_against_backlog():
    L, i = listener(backlog=1, syn_cookies=False)
    send(L, syn(5001), iface=i)
    send(L, syn(5002), iface=i)
    assert L.syn_dropped == 1
    expect(L, [synack(5001)], iface=i)


def test_listener_rst_frees_slot():
    L, i = listener(backlog=1)
    send(L, syn(5001), iface=i)
    expect(L, [synack(5001)], iface=i)
    send(L, SEG(seq=REMOTE_SEQ + 1, ack=None, flags=RST, sport=5001), iface=i)
    assert L.slots[0].state == tcp.CLOSED
    send(L, syn(5002), iface=i)
    expect(L, [synack(5002)], iface=i)


def test_listener_duplicate_syn_same_slot():
    L, i = listener(backlog=2)
    send(L, syn(5001), iface=i)
    expect(L, [synack(5001)], iface=i)
    send(L, syn(5001), iface=i)
    expect(L, [synack(5001)], iface=i)
    assert sum(1 for s in L.slots if s.state == tcp.SYN_RECEIVED) == 1


def test_listener_ack_without_connection_refused():
    L, i = listener()
    assert send(L, SEG(sport=5001), iface=i, accept=False) == 0
    assert send(L, SEG(sport=5001, dport=81, ack=None, flags=SYN), iface=i, accept=False) == 0


def test_listener_rst_to_port_ignored():
    L, i = listener()
    send(L, SEG(sport=5001, ack=None, flags=RST), iface=i)
    expect_none(L, iface=i)


def test_listener_accept_with_spare():
    L, i = listener(backlog=1)
    handshake(L, i, 5001)
    spare = new_socket()
    s = L.accept(spare)
    assert L.slots[0] is spare and spare.child
    assert not s.child
    busy = L.accept()
    assert busy is None
    handshake(L, i, 5002)
    raises(errno.EINVAL, L.accept, s)      # a live socket is no spare


def test_listener_data_and_fin_before_accept():
    L, i = listener()
    send(L, syn(5001), iface=i)
    recv(L, iface=i)
    send(L, SEG(sport=5001, data=b"GET /", flags=FIN), iface=i)
    expect(L, [SEG_R(dport=5001, ack=REMOTE_SEQ + 7, win=59)], iface=i)
    s = L.accept()
    assert s.state == tcp.CLOSE_WAIT
    assert recv_all(s) == b"GET /"


def test_accepted_socket_runs_on_its_own():
    L, i = listener()
    handshake(L, i, 5001)
    s = L.accept()
    s.send(b"hello")
    expect(s, [SEG_R(dport=5001, data=b"hello")], iface=i)
    expect_none(L, iface=i)
    # segments for it no longer go to the listener
    assert send(L, SEG(sport=5001, ack=LOCAL_SEQ + 6), iface=i, accept=False) == 0
    assert send(s, SEG(sport=5001, ack=LOCAL_SEQ + 6), iface=i) == 2


def test_listener_close_resets_pending():
    L, i = listener(backlog=2)
    handshake(L, i, 5001)
    send(L, syn(5002), iface=i)
    recv(L, iface=i)
    L.close()
    got = recv(L, iface=i)
    assert sorted(g.dport for g in got) == [5001, 5002]
    assert all(g.flags == RST for g in got)
    assert send(L, syn(5003), iface=i, accept=False) == 0


def test_listener_validation():
    L, i = listener()
    raises(errno.EINVAL, L.listen, 81)
    L2 = TcpListener(1, 64, 64)
    raises(errno.EINVAL, L2.listen, 0)
    try:
        TcpListener(0)
        assert False
    except ValueError:
        pass


def test_listener_poll_at():
    L, i = listener()
    assert L.poll_at(0) == -1
    send(L, syn(5001), iface=i)
    assert L.poll_at(0) == 0
    recv(L, iface=i)
    assert L.poll_at(0) == 1000


def test_listener_child_timeout_frees_slot():
    L, i = listener(backlog=1, user_timeout_ms=2500)
    send(L, syn(5001), iface=i)
    recv(L, iface=i)
    recv(L, now=1000, iface=i)
    recv(L, now=3000, iface=i)
    assert L.slots[0].state == tcp.CLOSED
    send(L, syn(5002), now=3001, iface=i)
    expect(L, [synack(5002)], now=3001, iface=i)


def test_listener_without_prealloc_makes_slots_as_syns_come():
    # prealloc=False: an idle listener holds no socket; each SYN makes one,
    # up to backlog; accept() hands it out without making another
    L, i = listener(backlog=2, syn_cookies=False, prealloc=False)
    assert L.slots == []
    handshake(L, i, 5001)
    handshake(L, i, 5002)
    assert len(L.slots) == 2
    send(L, syn(5003), iface=i)          # backlog reached: dropped as before
    expect_none(L, iface=i)
    assert L.syn_dropped == 1 and L.syn_nomem == 0
    s = L.accept()
    assert s.remote_port == 5001 and s.state == tcp.ESTABLISHED
    assert len(L.slots) == 1 and s not in L.slots
    send(L, syn(5003), iface=i)          # room again: a new slot
    expect(L, [synack(5003)], iface=i)
    assert len(L.slots) == 2
    send(L, SEG(sport=5003), iface=i)
    assert [L.accept().remote_port for _ in range(2)] == [5002, 5003]
    assert L.slots == [] and L.accept() is None


def test_listener_without_prealloc_counts_a_syn_it_has_no_memory_for():
    L, i = listener(backlog=2, prealloc=False)

    def no_memory():
        raise MemoryError

    L._new = no_memory
    send(L, syn(5001), iface=i)          # dropped (no slot for a cookie either)
    expect_none(L, iface=i)
    assert L.syn_nomem == 1 and L.slots == []
    del L._new                           # memory again: the retry gets through
    handshake(L, i, 5001)
    assert L.pending() == 1


def test_listener_without_prealloc_takes_a_spare():
    L, i = listener(backlog=1, prealloc=False)
    handshake(L, i, 5001)
    spare = new_socket()
    s = L.accept(spare)
    assert s.remote_port == 5001 and L.slots == [spare] and spare.child
