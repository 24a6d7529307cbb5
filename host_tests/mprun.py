# Runs a portable test module on MicroPython (unix port or webassembly).
#
#   MICROPYPATH=<repo>:<repo>/host_tests:.frozen \
#       micropython host_tests/mprun.py MODULE [TEST_NAME ...]
#
# Imports MODULE (e.g. test_wire_ipv4), runs each function whose name starts
# with test_ in sorted order (or only the named ones), prints "PASS name" or
# "FAIL name" with the traceback, and ends with the plain line
# "N passed, N failed". Exit status 1 if anything failed.
# host_tests/wasm_run.mjs calls main() directly.
import sys
import gc

try:
    import micropython
except ImportError:  # run under CPython by hand: no heap lock to undo
    micropython = None


def _unlock_heap():
    # A test that raised while it held the heap lock would make every later
    # print fail (and hangs the webassembly port): undo any lock left behind.
    # heap_lock() then heap_unlock() returns the depth that was there before.
    if micropython is None or not hasattr(micropython, "heap_lock"):
        return 0
    micropython.heap_lock()
    depth = micropython.heap_unlock()
    for _ in range(depth):
        micropython.heap_unlock()
    return depth


def _print_exc(e):
    if hasattr(sys, "print_exception"):
        sys.print_exception(e)
    else:  # CPython
        import traceback
        traceback.print_exception(type(e), e, e.__traceback__, file=sys.stdout)


def _load(name):
    if name.endswith(".py"):
        name = name[:-3]
    name = name.split("/")[-1]
    mod = __import__(name)
    for part in name.split(".")[1:]:
        mod = getattr(mod, part)
    return mod


def _run_one(fn):
    # returns None on success, the exception otherwise; nothing in here
    # allocates before the heap is known to be unlocked
    err = None
    try:
        fn()
    except Exception as e:
        err = e
    leaked = _unlock_heap()
    if leaked and err is None:
        err = AssertionError("test returned with the heap still locked")
    return err


def main(argv):
    if not argv:
        print("usage: mprun.py MODULE [TEST_NAME ...]")
        return 2
    try:
        mod = _load(argv[0])
    except Exception as e:
        _unlock_heap()
        print("FAIL import " + argv[0])
        _print_exc(e)
        print("0 passed, 1 failed")
        return 1
    names = argv[1:]
    if not names:
        names = sorted(n for n in dir(mod) if n.startswith("test_")
                       and callable(getattr(mod, n)))
    passed = failed = 0
    for name in names:
        fn = getattr(mod, name, None)
        if fn is None:
            print("FAIL " + name)
            print("no such test in " + argv[0])
            failed += 1
            continue
        gc.collect()  # each test starts with the same, tidy heap
        err = _run_one(fn)
        if err is None:
            passed += 1
            print("PASS " + name)
        else:
            failed += 1
            print("FAIL " + name)
            _print_exc(err)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
