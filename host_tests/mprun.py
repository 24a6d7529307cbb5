# Runs a portable test module on MicroPython (unix port or webassembly).
#
#   MICROPYPATH=<repo>:<repo>/host_tests:.frozen \
#       micropython host_tests/mprun.py [--shuffle SEED] MODULE [TEST_NAME ...]
#
# Imports MODULE (e.g. test_wire_ipv4), runs each function whose name starts
# with test_ in the order the source file defines them, as pytest does (or
# only the named ones, in the order given), prints "PASS name" or
# "FAIL name" with the traceback, and ends with the plain line
# "N passed, N failed". Exit status 1 if anything failed.
#
# --shuffle SEED (or the environment variable SMOLNET_TEST_SHUFFLE=SEED where
# the port has os.getenv) runs them in an order drawn from SEED instead, the
# same order on every runtime, and prints "shuffle seed SEED" first so a
# failure can be replayed. Before each test, stack_reset.reset() puts the
# stack's module globals back to their import-time values, so no test sees
# what an earlier one left behind.
# host_tests/wasm_run.mjs calls main() directly.
import sys
import gc

import stack_reset

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


def _defined_order(mod, names):
    # MicroPython's module dict has no order: read the `def test_` lines of
    # the source; anything not found there (made by assignment) goes last
    order = []
    try:
        with open(mod.__file__) as f:
            for line in f:
                if line.startswith("def test_"):
                    name = line[4:].split("(")[0].strip()
                    if name in names and name not in order:
                        order.append(name)
    except (AttributeError, OSError):  # frozen or built-in: no source to read
        pass
    return order + sorted(n for n in names if n not in order)


def _shuffle(names, seed):
    # Fisher-Yates with a 30-bit LCG (Numerical Recipes' constants, reduced
    # mod 2**30): small ints on every port, so one seed gives one order on
    # CPython, the unix port and the 32-bit webassembly port alike
    x = seed & 0x3FFFFFFF
    for i in range(len(names) - 1, 0, -1):
        x = (x * 1664525 + 1013904223) & 0x3FFFFFFF
        j = (x >> 8) % (i + 1)
        names[i], names[j] = names[j], names[i]
    return names


def _env_seed():
    try:
        import os
        return os.getenv("SMOLNET_TEST_SHUFFLE")
    except (ImportError, AttributeError):  # webassembly: no environment
        return None


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
    argv = list(argv)
    seed = _env_seed()
    if argv and argv[0] == "--shuffle":
        seed = argv[1] if len(argv) > 1 else ""
        argv = argv[2:]
    if seed is not None and seed != "" and not seed.isdigit():
        print("mprun: --shuffle wants a number, got %r" % seed)
        return 2
    if not argv:
        print("usage: mprun.py [--shuffle SEED] MODULE [TEST_NAME ...]")
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
        names = _defined_order(mod, [n for n in dir(mod) if n.startswith("test_")
                                     and callable(getattr(mod, n))])
        if seed:
            print("shuffle seed " + seed)
            _shuffle(names, int(seed))
    passed = failed = 0
    for name in names:
        fn = getattr(mod, name, None)
        if fn is None:
            print("FAIL " + name)
            print("no such test in " + argv[0])
            failed += 1
            continue
        stack_reset.reset()
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
