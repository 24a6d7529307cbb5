# Helpers for portable tests: the same code runs on CPython (pytest),
# MicroPython unix and MicroPython webassembly (host_tests/mprun.py).
#
#   runtime           "cpython", "unix", "wasm" (or a board's sys.platform)
#   is_micropython    True on both MicroPython ports
#   is_32bit          True where small ints are 31-bit (webassembly, boards):
#                     values >= 2**30 are heap objects there
#   raises(E, fn, *args, **kw)   the exception fn raised; AssertionError if none
#   errno_of(exc)     errno of an OSError, however it was built
#   hexbytes(text)    "45 00 00 1c  # comment" -> bytes
#   FakeClock(start)  ticks in ms under the test's control, wrapping as the
#                     runtime's time.ticks_ms does
#   TICKS_MAX         largest tick value: 2**30 - 1 on 32-bit ports and under
#                     the CPython shim, 2**62 - 1 on the 64-bit unix port
#   heap_locked(fn)   fn() under micropython.heap_lock(): any allocation fails
#                     the test with "allocated on the hot path"
#   heap_used(fn)     bytes of heap that fn() allocates and keeps alive
import sys

import smolnet  # noqa: F401  (on CPython: installs the micropython/time shim)
import time

is_micropython = sys.implementation.name == "micropython"

if not is_micropython:
    runtime = "cpython"
elif sys.platform == "webassembly":
    runtime = "wasm"
elif sys.platform in ("linux", "darwin", "freebsd"):
    runtime = "unix"
else:
    runtime = sys.platform

# MicroPython's small ints are one bit short of a machine word, and its
# sys.maxsize is the machine word's: 2**31 - 1 on 32-bit ports. Computed once
# here at import (1 << 32 is itself a heap object on those ports).
is_32bit = is_micropython and sys.maxsize < (1 << 32)

if is_micropython:
    import gc
    import io
    import micropython

# MicroPython's tick period is its small-int range: 2**30 on 32-bit ports,
# 2**62 on the 64-bit unix port (the CPython shim uses 2**30)
TICKS_MAX = time.ticks_add(0, -1)


def _name(obj):
    if isinstance(obj, tuple):
        return " or ".join(_name(o) for o in obj)
    return getattr(obj, "__name__", None) or repr(obj)


def raises(exc_type, fn, *args, **kw):
    """Call fn(*args, **kw), expecting exc_type (a class or a tuple of them).

    Returns the exception so the test can look at it; an exception of another
    type propagates unchanged (the test fails with it).
    """
    try:
        fn(*args, **kw)
    except exc_type as e:
        return e
    raise AssertionError("%s not raised by %s" % (_name(exc_type), _name(fn)))


def errno_of(exc):
    """The errno of an OSError: CPython keeps OSError(n).errno as None (it
    sets errno only for two or more arguments), MicroPython sets it."""
    n = getattr(exc, "errno", None)
    if n is None and exc.args:
        n = exc.args[0]
    return n if isinstance(n, int) else None


def hexbytes(text):
    """Bytes from hex text: whitespace and ':' separate, '#' starts a comment
    that runs to the end of the line (for annotated captures)."""
    out = bytearray()
    for line in text.split("\n"):
        hash_at = line.find("#")
        if hash_at >= 0:
            line = line[:hash_at]
        digits = ""
        for ch in line:
            if ch not in " \t\r:":
                digits += ch
        if len(digits) & 1:
            raise ValueError("odd number of hex digits: " + line)
        for i in range(0, len(digits), 2):
            out.append(int(digits[i:i + 2], 16))
    return bytes(out)


class FakeClock:
    """A millisecond tick counter the test moves by hand.

    clock() or clock.now is the current tick; advance(ms) moves it with
    time.ticks_add, so it wraps where the runtime's ticks_ms wraps. Start
    near the wrap (e.g. FakeClock(TICKS_MAX - 1000)) to shake out code that
    compares ticks with < instead of ticks_diff.
    """

    def __init__(self, start=0):
        self.now = start & TICKS_MAX

    def __call__(self):
        return self.now

    def advance(self, ms):
        self.now = time.ticks_add(self.now, ms)
        return self.now


def _alloc_message(exc):
    msg = "allocated on the hot path (a MemoryError under heap_lock; an " \
          "exception raised there allocates too)"
    buf = io.StringIO()
    sys.print_exception(exc, buf)
    return msg + "\n" + buf.getvalue()


def heap_locked(fn):
    """Run fn() with the heap locked on MicroPython and return its result.

    Build fn (a bound method, a lambda) before calling: only the call is
    checked. Any allocation inside raises MemoryError, reported as an
    AssertionError "allocated on the hot path" after the heap is unlocked
    again (the heap is always unlocked before anything else runs: an
    exception escaping with the heap locked hangs the webassembly port).
    On CPython fn() just runs.
    """
    if not is_micropython:
        return fn()
    micropython.heap_lock()
    try:
        result = fn()
    except MemoryError as e:
        micropython.heap_unlock()
        raise AssertionError(_alloc_message(e))
    except BaseException:
        micropython.heap_unlock()
        raise
    micropython.heap_unlock()
    return result


def heap_used(fn):
    """Bytes of MicroPython heap that fn() allocates and that stay reachable
    while its result is alive (gc.mem_alloc after minus before, each after a
    collection). 0 on CPython, where the figure has no meaning."""
    if not is_micropython:
        fn()
        return 0
    gc.collect()
    before = gc.mem_alloc()
    result = fn()
    gc.collect()
    used = gc.mem_alloc() - before
    del result  # kept alive until measured
    return used
