# runtimes: cpython unix wasm
# smolnet/rand.py: entropy_seed() gives the 30 bits it promises (DHCP
# xids, DNS ids and ports, IGMP/MLD delays are drawn from it), and Rand16
# is the seeded generator the fault injector replays.
from smolnet.rand import Rand16, entropy_seed, seed30


def test_seed30_takes_30_bits_little_endian():
    assert seed30(b"\x01\x02\x03\x04") == 0x04030201
    assert seed30(b"\xff\xff\xff\xff") == 0x3FFFFFFF      # the top 2 bits dropped
    assert seed30(b"\x00\x00\x00\x40") == 0
    assert seed30(bytearray(b"\x00\x00\x00\x20")) == 1 << 29


def test_entropy_seed_fills_all_30_bits():
    # os.urandom where the port has it (CPython, unix), else random
    # (webassembly): 64 draws leave a given bit clear with odds 2**-64
    seen = 0
    for _ in range(64):
        s = entropy_seed()
        assert 0 <= s <= 0x3FFFFFFF, s
        seen |= s
    assert seen == 0x3FFFFFFF, hex(seen)


def test_rand16_replays_a_seed():
    a, b = Rand16(12345), Rand16(12345)
    xs = [a.next() for _ in range(100)]
    assert xs == [b.next() for _ in range(100)]
    assert all(0 <= x <= 0xFFFF for x in xs)
    assert len(set(xs)) > 90
    a.seed(12345)
    assert a.next() == xs[0]
    assert all(0 <= a.below(10) < 10 for _ in range(200))
