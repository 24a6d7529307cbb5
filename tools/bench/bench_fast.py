# Throughput of the byte fast paths (smolnet.fast) over one 1500-byte frame:
# the checksum and the copy every packet goes through, and both in one pass
# (copy_sum16, TCP's send path) against one after the other. Prints JSON
# lines (see tools/bench/README.md); the "impl" key says which twin ran
# (viper on the unix port, pure on webassembly, host on CPython).
import json
import time

from smolnet import fast

FRAME = 1500
MIN_US = 300000  # time each figure over at least 0.3 s


def sum16_loop(buf, n):
    for _ in range(n):
        fast.sum16(buf, 0, FRAME, 0)


def copy_loop(buf, n):
    dst = bytearray(FRAME)
    for _ in range(n):
        fast.copy(dst, 0, buf, 0, FRAME)


def copy_then_sum_loop(buf, n):
    dst = bytearray(FRAME)
    for _ in range(n):
        fast.copy(dst, 0, buf, 0, FRAME)
        fast.sum16(dst, 0, FRAME, 0)


def copy_sum16_loop(buf, n):
    dst = bytearray(FRAME)
    for _ in range(n):
        fast.copy_sum16(dst, 0, buf, 0, FRAME, 0)


def throughput(loop, buf):
    loop(buf, 10)  # warm up
    n = 16
    while True:
        t0 = time.ticks_us()
        loop(buf, n)
        us = time.ticks_diff(time.ticks_us(), t0)
        if us >= MIN_US:
            return n * FRAME / us  # bytes per microsecond = MB/s
        n *= 2


def main():
    buf = bytearray(FRAME)
    for i in range(FRAME):
        buf[i] = (i * 7 + 3) & 0xFF
    for name, loop in (("fast.sum16 1500B", sum16_loop), ("fast.copy 1500B", copy_loop),
                       ("fast.copy+sum16 1500B", copy_then_sum_loop),
                       ("fast.copy_sum16 1500B", copy_sum16_loop)):
        mbps = throughput(loop, buf)
        print(json.dumps({"name": name, "value": round(mbps, 1), "unit": "MB/s",
                          "impl": fast.IMPL}))


main()
