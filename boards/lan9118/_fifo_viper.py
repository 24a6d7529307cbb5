# ptr32 twin of _fifo_pure.py (see fifo.py). Imported only on bare-metal
# MicroPython where @micropython.viper compiles. Frame bytes are stored one
# at a time so the caller's buffer may have any alignment (Cortex-M0 has no
# unaligned word access); the FIFO side is always one aligned 32-bit access.
import micropython


@micropython.viper
def read(port: uint, buf: ptr8, n: int):
    p = ptr32(port)
    i = 0
    end = n - 3
    while i < end:
        w = p[0]
        buf[i] = w
        buf[i + 1] = w >> 8
        buf[i + 2] = w >> 16
        buf[i + 3] = w >> 24
        i += 4
    if i < n:
        w = p[0]
        while i < n:
            buf[i] = w
            w = w >> 8
            i += 1


@micropython.viper
def skip(port: uint, words: int):
    p = ptr32(port)
    w = 0
    while words > 0:
        w = p[0]  # noqa: F841  (the read itself pops the word from the FIFO)
        words -= 1


@micropython.viper
def write(port: uint, buf: ptr8, n: int):
    p = ptr32(port)
    i = 0
    end = n - 3
    while i < end:
        p[0] = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)
        i += 4
    if i < n:
        w = 0
        s = 0
        while i < n:
            w = w | (buf[i] << s)
            s += 8
            i += 1
        p[0] = w
