# mem32 twin of _fifo_viper.py (see fifo.py). Same bytes, same word count.
import machine


def read(port, buf, n):
    m = machine.mem32
    i = 0
    end = n - 3
    while i < end:
        w = m[port]  # signed on 32-bit ports: shifts and masks still give the bytes
        buf[i] = w & 0xFF
        buf[i + 1] = (w >> 8) & 0xFF
        buf[i + 2] = (w >> 16) & 0xFF
        buf[i + 3] = (w >> 24) & 0xFF
        i += 4
    if i < n:
        w = m[port]
        while i < n:
            buf[i] = w & 0xFF
            w >>= 8
            i += 1


def skip(port, words):
    m = machine.mem32
    while words > 0:
        m[port]
        words -= 1


def write(port, buf, n):
    m = machine.mem32
    i = 0
    end = n - 3
    while i < end:
        m[port] = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)
        i += 4
    if i < n:
        w = 0
        s = 0
        while i < n:
            w |= buf[i] << s
            s += 8
            i += 1
        m[port] = w
