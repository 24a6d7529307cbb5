# runtimes: cpython unix wasm
# Checks the test helpers themselves (host_tests/support.py) and that each
# runtime is the one it claims to be, so a green run means what it says.
import sys

import smolnet.fast
from support import (FakeClock, TICKS_MAX, errno_of, heap_locked, heap_used, hexbytes,
                     is_32bit, is_micropython, raises, runtime)


def _boom(kind, msg="boom"):
    raise kind(msg)


def test_raises_returns_the_exception():
    e = raises(ValueError, _boom, ValueError, msg="x")
    assert isinstance(e, ValueError)
    assert e.args == ("x",)
    e = raises((KeyError, ValueError), _boom, KeyError)
    assert isinstance(e, KeyError)


def test_raises_fails_when_nothing_is_raised():
    e = raises(AssertionError, raises, ValueError, len, b"")
    assert "ValueError" in str(e)


def test_raises_lets_other_exceptions_through():
    e = raises(KeyError, raises, ValueError, _boom, KeyError)
    assert isinstance(e, KeyError)


def test_errno_of():
    assert errno_of(OSError(11)) == 11
    assert errno_of(OSError(104, "reset")) == 104
    assert errno_of(OSError("text")) is None
    assert errno_of(ValueError()) is None


def test_hexbytes():
    assert hexbytes("") == b""
    assert hexbytes("45 00\n 00 1c  # IPv4, total length 28\n# a comment line\nff") == \
        b"\x45\x00\x00\x1c\xff"
    assert hexbytes("02:00:00:00:00:01") == b"\x02\x00\x00\x00\x00\x01"
    assert hexbytes("DEADbeef") == b"\xde\xad\xbe\xef"
    raises(ValueError, hexbytes, "abc")


def test_fake_clock_wraps_like_ticks_ms():
    import time
    clock = FakeClock(TICKS_MAX - 5)
    assert clock() == TICKS_MAX - 5
    assert clock.advance(10) == 4
    assert clock.now == 4
    assert time.ticks_diff(clock(), TICKS_MAX - 5) == 10
    assert FakeClock()() == 0
    if runtime == "unix":
        assert TICKS_MAX == (1 << 62) - 1  # the 64-bit port's small-int range
    else:
        assert TICKS_MAX == (1 << 30) - 1


def test_runtime_is_what_it_claims():
    assert runtime in ("cpython", "unix", "wasm")
    assert is_micropython == (sys.implementation.name == "micropython")
    assert is_micropython == (runtime != "cpython")
    if runtime == "wasm":
        assert "Emscripten" in sys.implementation._machine


def test_is_32bit_exactly_on_wasm():
    assert is_32bit == (runtime == "wasm")


def _add(a, b):
    return a + b


def test_heap_locked_passes_code_that_does_not_allocate():
    buf = bytearray(64)

    def work():
        total = 0
        for i in range(len(buf)):
            buf[i] = i & 0xFF
            total += buf[i]
        return total

    assert heap_locked(work) == sum(range(64))


def test_heap_locked_catches_an_allocation():
    if not is_micropython:
        # CPython has nothing to lock: fn() just runs
        assert heap_locked(lambda: bytearray(3)) == bytearray(3)
        return
    e = raises(AssertionError, heap_locked, lambda: bytearray(10))
    assert "allocated on the hot path" in str(e)
    # and the heap is usable again afterwards
    assert len([1, 2, 3] + [4]) == 4


def test_heap_locked_sees_boxed_ints_on_32bit():
    # 2**29 + 2**29 = 2**30: a small int on 64-bit ports, a heap object on
    # 32-bit ones; this is what the no-big-ints rule protects against
    half = 1 << 29
    if runtime == "wasm":
        raises(AssertionError, heap_locked, lambda: _add(half, half))
    else:
        assert heap_locked(lambda: _add(half, half)) == 1 << 30


def test_heap_locked_passes_other_exceptions_on():
    # an exception built before the lock passes through unchanged
    err = KeyError("prebuilt")

    def fail():
        raise err

    assert raises(KeyError, heap_locked, fail) is err
    assert len([0] * 4) == 4  # unlocked again


def test_heap_used():
    n = heap_used(lambda: bytearray(1000))
    if is_micropython:
        assert n >= 1000
    else:
        assert n == 0


def test_fast_twins_exist_and_impl_matches_runtime():
    for name in ("sum16", "copy", "equal", "fill"):
        assert callable(getattr(smolnet.fast, name))
    expected = {"cpython": "host", "unix": "viper", "wasm": "pure"}[runtime]
    assert smolnet.fast.IMPL == expected


def test_fast_selected_impl_agrees_with_pure_twin():
    from smolnet.fast import pure
    buf = bytearray(1500)
    seed = 12345
    for i in range(len(buf)):
        seed = (seed * 1103 + 12345) & 0xFFFF
        buf[i] = seed >> 8
    for n in (0, 1, 2, 3, 20, 21, 64, 1499, 1500):
        for off in (0, 1):
            if off + n <= len(buf):
                assert smolnet.fast.sum16(buf, off, n, 0) == pure.sum16(buf, off, n, 0), (off, n)
    assert smolnet.fast.sum16(buf, 0, 4, 0xFFFF) == pure.sum16(buf, 0, 4, 0xFFFF)
    a = bytearray(b"abcdef")
    assert smolnet.fast.equal(a, 1, b"xbcd", 1, 3)
    assert not smolnet.fast.equal(a, 0, b"xbcd", 0, 2)
