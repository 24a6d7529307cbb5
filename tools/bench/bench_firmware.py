# bench-runtime: cpython
# smolnet on real firmware: boots the MPS2 AN385 image (make firmware-qemu:
# MicroPython v1.28.0, smolnet frozen in, the port's default 140 KiB heap)
# under qemu-system-arm -icount shift=0 and runs tools/bench/board_cm3.py on
# it through the raw REPL. Under -icount the guest's ticks_us() counts
# executed instructions (1 ns each), so the "virtual us" figures are
# Cortex-M3 costs that repeat exactly from run to run (thousands of
# instructions). No network: the board's two Interfaces share a Loopback.
# Figures (one JSON object per line): see board_cm3.py.
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "host_tests"))

from qemu_board import QemuBoard, NoNetwork  # noqa: E402


def main():
    with open(os.path.join(ROOT, "tools", "bench", "board_cm3.py")) as f:
        script = f.read()
    where = NoNetwork()
    try:
        with QemuBoard(where, "MPS2_AN385", icount=True) as board:
            out = board.exec(script, timeout=600)
    finally:
        where.close()
    for line in out.replace("\r\n", "\n").splitlines():
        print(line if line.startswith("{") else "board: " + line)
        sys.stdout.flush()


main()
