# Deterministic generators for tests, the same numbers on every runtime (no
# dependence on the `random` module, which the webassembly port may lack).
# Each test's seeds were chosen with one of these, so each keeps its own
# sequence; the one place they are written down is here.
#
#   Prng      16-bit xorshift: byte(), below(n) (n <= 65536), fill(buf);
#             small ints only, so safe under the heap lock on every port
#   XorShift  32-bit xorshift (Marsaglia's 13/17/5): next(), below(n); its
#             values are heap objects on 32-bit ports (draw outside a
#             heap_locked section)
#   Lcg       31-bit LCG (the C standard's example rand() constants, kept
#             modulo 2**31): step() the raw state, below(n) from bits 8 up,
#             next16(), next32()


class Prng:
    def __init__(self, seed=12345):
        self.x = (seed & 0xFFFF) or 1

    def byte(self):
        x = self.x
        x ^= (x << 7) & 0xFFFF
        x ^= x >> 9
        x ^= (x << 8) & 0xFFFF
        self.x = x
        return x & 0xFF

    def below(self, n):
        return ((self.byte() << 8 | self.byte()) * n) >> 16

    def fill(self, buf):
        for i in range(len(buf)):
            buf[i] = self.byte()
        return buf


class XorShift:
    def __init__(self, seed):
        self.s = (seed & 0xFFFFFFFF) or 1

    def next(self):
        x = self.s
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.s = x
        return x

    def below(self, n):
        return self.next() % n if n > 0 else 0


class Lcg:
    def __init__(self, seed):
        self.x = seed & 0x7FFFFFFF

    def step(self):
        self.x = (self.x * 1103515245 + 12345) & 0x7FFFFFFF
        return self.x

    def below(self, n):
        return (self.step() >> 8) % n

    def next16(self):
        return (self.step() >> 8) & 0xFFFF

    def next32(self):
        return (self.next16() << 16) | self.next16()
