# Randomness for the whole stack: Rand16, a small seeded PRNG (the fault
# injector replays it from a seed; DHCP xids, DNS ids and ports, IGMP/MLD
# report delays draw from it), and entropy_seed(), the port's best 30-bit
# seed for it. Rand16: xorshift on two 15-bit halves would be clumsy, so this
# is Marsaglia's 16-bit xorshift (period 65535) combined with a 15-bit LCG,
# giving a long period while every intermediate stays below 2**30 (no boxed
# ints on 32-bit MicroPython).


class Rand16:
    def __init__(self, seed=1):
        self.seed(seed)

    def seed(self, seed):
        self.x = (seed & 0xFFFF) or 0xACE1
        self.y = (seed >> 16) & 0x7FFF

    def next(self):
        """A number in 0..65535."""
        x = self.x
        x ^= (x << 7) & 0xFFFF
        x ^= x >> 9
        x ^= (x << 8) & 0xFFFF
        self.x = x
        self.y = (self.y * 1103 + 12345) & 0x7FFF
        return x ^ (self.y << 1)

    def below(self, n):
        """A number in 0..n-1 for n <= 65536."""
        return (self.next() * n) >> 16


def seed30(b):
    """The low 30 bits of 4 bytes, little-endian: as many as a small int
    holds on 32-bit MicroPython (31 bits, signed), never a boxed int."""
    return b[0] | (b[1] << 8) | (b[2] << 16) | ((b[3] & 0x3F) << 24)


def entropy_seed():
    """A 30-bit seed from the best source the port has: os.urandom, else
    random (the webassembly port has no os.urandom), else the ms clock. For
    what an off-path attacker should not guess: DHCP xids (RFC 2131 4.1),
    DNS ids and ports (RFC 5452 9.2), IGMP report delays (RFC 3376 5)."""
    try:
        import os
        return seed30(os.urandom(4))
    except (ImportError, AttributeError, OSError):
        pass
    try:
        import random
        return random.getrandbits(16) | (random.getrandbits(14) << 16)
    except (ImportError, AttributeError):
        pass
    import time
    return time.ticks_ms() & 0x3FFFFFFF
