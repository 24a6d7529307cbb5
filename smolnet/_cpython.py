# CPython shim: what MicroPython has and CPython lacks.
#
# Installs a `micropython` module (const, native, viper, heap_lock, ...) and
# adds ticks_ms/ticks_add/ticks_diff/sleep_ms to `time` and sleep_ms and
# wait_for_ms to `asyncio`, so smolnet's modules import and run unchanged on the host.
# Nothing here is loaded on MicroPython.
import sys
import time
import types

# MicroPython's ticks wrap at 2**30 (TICKS_PERIOD); mirror that so wrap bugs
# show up on the host too.
TICKS_PERIOD = 1 << 30
_TICKS_MAX = TICKS_PERIOD - 1
_TICKS_HALF = TICKS_PERIOD // 2


def ticks_ms():
    return int(time.monotonic() * 1000) & _TICKS_MAX


def ticks_us():
    return int(time.monotonic() * 1000000) & _TICKS_MAX


def ticks_add(t, delta):
    return (t + delta) & _TICKS_MAX


def ticks_diff(a, b):
    return ((a - b + _TICKS_HALF) & _TICKS_MAX) - _TICKS_HALF


def sleep_ms(ms):
    time.sleep(ms / 1000)


def _identity(f):
    return f


def _viper(f):
    # viper code is kept in modules CPython never imports (smolnet/fast/viper.py),
    # so reaching this means a caller forgot the pure twin.
    raise SyntaxError("invalid micropython decorator")


_heap_locked = [0]


def _heap_lock():
    _heap_locked[0] += 1


def _heap_unlock():
    _heap_locked[0] -= 1
    return _heap_locked[0]


def _install():
    if "micropython" not in sys.modules:
        mp = types.ModuleType("micropython")
        mp.const = _identity
        mp.native = _identity
        mp.viper = _viper
        mp.heap_lock = _heap_lock
        mp.heap_unlock = _heap_unlock
        mp.heap_locked = lambda: _heap_locked[0]
        mp.opt_level = lambda *a: 0
        mp.mem_info = lambda *a: None
        mp.alloc_emergency_exception_buf = lambda n: None
        mp.schedule = lambda f, arg: f(arg)
        sys.modules["micropython"] = mp
    for name, fn in (("ticks_ms", ticks_ms), ("ticks_us", ticks_us),
                     ("ticks_add", ticks_add), ("ticks_diff", ticks_diff),
                     ("sleep_ms", sleep_ms)):
        if not hasattr(time, name):
            setattr(time, name, fn)
    try:
        import asyncio
    except ImportError:
        return
    if not hasattr(asyncio, "sleep_ms"):
        async def _sleep_ms(ms):
            await asyncio.sleep(ms / 1000)
        asyncio.sleep_ms = _sleep_ms
    if not hasattr(asyncio, "wait_for_ms"):
        def _wait_for_ms(aw, ms):
            return asyncio.wait_for(aw, ms / 1000)
        asyncio.wait_for_ms = _wait_for_ms


_install()
