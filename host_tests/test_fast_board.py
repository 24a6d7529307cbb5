"""smolnet/fast's twins on the firmware itself: test_fast.py (with prng.py)
run on both QEMU boards (`make firmware-qemu`), through the raw REPL. The
MPS2 AN385's Cortex-M3 picks the Thumb-2 assembler twins (smolnet/fast/
thumb.py, frozen there as the board's mpy-cross compiled them), which no
other runtime here can run; the SABRE Lite (ARMv6 code) keeps viper's.
Every twin is checked against pure.py and a reference, as on the unix port.

CPython pytest; no network (the boards run without a NIC backend); fails
(never skips) without QEMU or the firmware.
"""
import os

import pytest

from conftest import HERE
from qemu_board import QemuBoard, NoNetwork

IMPL = {"MPS2_AN385": "thumb", "QEMU_SABRELITE": "viper"}


def _script():
    """prng.py and test_fast.py as one script, then each test_ function
    called in turn: PASS/FAIL lines and the chosen twin."""
    with open(os.path.join(HERE, "prng.py")) as f:
        prng = f.read()
    with open(os.path.join(HERE, "test_fast.py")) as f:
        tests = f.read().replace("from prng import Prng\n", "")
    names = [line[4:line.index("(")] for line in tests.splitlines()
             if line.startswith("def test_")]
    run = ["import gc", "print('IMPL', fast.IMPL)"]
    for name in names:
        run += ["gc.collect()", "try:", "    %s()" % name, "    print('PASS %s')" % name,
                "except Exception as e:", "    print('FAIL %s', repr(e))" % name]
    return prng + "\n" + tests + "\n" + "\n".join(run) + "\n", names


@pytest.mark.parametrize("name", sorted(IMPL))
def test_fast_twins_agree_on_the_firmware(name):
    script, tests = _script()
    where = NoNetwork()
    try:
        with QemuBoard(where, name, name="fast-" + name) as board:
            out = board.exec(script, timeout=600).replace("\r\n", "\n")
    finally:
        where.close()
    assert "IMPL %s\n" % IMPL[name] in out, out
    passed = [t for t in tests if "PASS %s\n" % t in out]
    assert passed == tests, out
