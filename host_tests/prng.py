# A deterministic byte generator for tests, the same on every runtime (no
# dependence on the `random` module, which the webassembly port may lack).


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
