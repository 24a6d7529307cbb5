# runtimes: cpython unix
# smolnet.aio: the driver task runs two Interfaces on a Loopback pair inside
# asyncio; async UDP sockets talk across it. (The webassembly port's asyncio
# runs on JS timers and has no run(): not a runtime for these tests.)
import asyncio
from time import ticks_ms, ticks_diff
from smolnet import aio
from smolnet.config import Config
from netpair import NetPair


def _pair(idle_ms=None, config=None):
    p = NetPair(config=config)
    return p, aio.Driver(p.a, idle_ms=idle_ms), aio.Driver(p.b, idle_ms=idle_ms)


def test_udp_echo_between_two_drivers():
    p, da, db = _pair(idle_ms=1)

    async def echo(u):
        for _ in range(3):
            data, addr = await u.recvfrom()
            await u.sendto(data.upper(), addr)

    async def main():
        da.start()
        db.start()
        ub = aio.UdpSocket(db, 7)
        ua = aio.UdpSocket(da)
        assert 49152 <= ua.port <= 65535
        t = asyncio.create_task(echo(ub))
        got = []
        for word in (b"one", b"two", b"three"):
            await ua.sendto(word, ("192.0.2.2", 7))
            data, addr = await ua.recvfrom()
            got.append(data)
            assert addr == ("192.0.2.2", 7)
        await t
        da.stop()
        db.stop()
        ua.close()
        ub.close()
        return got

    assert asyncio.run(main()) == [b"ONE", b"TWO", b"THREE"]


def test_recv_into_sets_peer_without_allocating_tuples():
    p, da, db = _pair(idle_ms=1)

    async def main():
        da.start()
        db.start()
        ub = aio.UdpSocket(db, 9000)
        ua = aio.UdpSocket(da, 9001)
        await ua.sendto(b"abcdef", ("192.0.2.2", 9000), 4)
        buf = bytearray(16)
        n = await ub.recv_into(buf)
        da.stop()
        db.stop()
        return n, bytes(buf[:n]), bytes(ub.peer_addr), ub.peer_port

    n, data, peer, port = asyncio.run(main())
    assert (n, data, port) == (4, b"abcd", 9001)
    assert peer == bytes([192, 0, 2, 1])


def test_driver_wakes_at_poll_delay_without_idle_polling():
    # idle_ms=-1: nothing but poll_delay() wakes the driver. An unresolved
    # neighbor makes the UDP socket ask for a retry every neighbor_retry_ms:
    # the ARP requests show the driver woke on time.
    p = NetPair(config=Config(neighbor_retry_ms=40))
    da = aio.Driver(p.a, idle_ms=-1)

    async def main():
        da.start()
        u = aio.UdpSocket(da, 1000)
        await u.sendto(b"x", ("192.0.2.99", 9))
        await asyncio.sleep_ms(150)
        da.stop()
        await asyncio.sleep_ms(5)
        return p.a.stats.arp_requests

    n = asyncio.run(main())
    assert 3 <= n <= 5, n


def test_kick_wakes_an_idle_driver():
    p, da, db = _pair(idle_ms=-1)

    async def main():
        da.start()
        await asyncio.sleep_ms(20)      # driver now waits with no deadline
        u = aio.UdpSocket(da, 1000)
        polls = da.polls
        t0 = ticks_ms()
        await u.sendto(b"x", ("192.0.2.2", 9))
        while da.polls == polls and ticks_diff(ticks_ms(), t0) < 500:
            await asyncio.sleep_ms(1)
        dt = ticks_diff(ticks_ms(), t0)
        da.stop()
        await asyncio.sleep_ms(5)
        return dt

    assert asyncio.run(main()) < 100


def test_wait_until_times_out():
    p, da, db = _pair(idle_ms=2)

    async def main():
        da.start()
        t0 = ticks_ms()
        ok = await da.wait_until(lambda: False, 50)
        dt = ticks_diff(ticks_ms(), t0)
        da.stop()
        return ok, dt

    ok, dt = asyncio.run(main())
    assert ok is False and 45 <= dt < 500, dt


def test_stop_ends_the_task():
    p, da, db = _pair(idle_ms=-1)

    async def main():
        t = da.start()
        await asyncio.sleep_ms(10)
        assert da.running
        da.stop()
        await t
        return da.running

    assert asyncio.run(main()) is False
