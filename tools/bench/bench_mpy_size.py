# bench-runtime: cpython
# Flash cost: the total size of smolnet/ compiled to .mpy by mpy-cross for a
# Cortex-M3/M4 (-march=armv7m: viper code needs an architecture) (the
# form a board runs from a filesystem or freezes), with and without TCP;
# and the board profile as firmware/manifest.py freezes it for an ARMv7-M
# board (its files for that architecture, -O3: issue 11's flash figure,
# also `make mpy-sizes`'s "board profile" row). mpy-cross from the venv or
# SMOLNET_MPY_CROSS.
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "firmware"))
import mpy_sizes  # noqa: E402
import smolnet_files  # noqa: E402


def main():
    cross = mpy_sizes.find_mpy_cross()
    if not cross:
        raise SystemExit("mpy-cross not found: set SMOLNET_MPY_CROSS or run make setup")
    all_py = [p for p in smolnet_files._py_files(ROOT, "smolnet") if p != "smolnet/_cpython.py"]
    profile = smolnet_files.for_arch(
        smolnet_files.core_files(ROOT, **{n: False for n in smolnet_files.OPTIONS}), "armv7m", debug=False)
    with tempfile.TemporaryDirectory(prefix="smolnet-bench-mpy-") as work:
        s = mpy_sizes.Sizer(cross, work)
        total = tcp = 0
        for p in all_py:
            n = s.size(os.path.join(ROOT, p), p, "armv7m", 2)
            total += n
            if "/tcp" in p or p.endswith("tcp.py") or "/storage/ring" in p or \
                    "/storage/assembler" in p:
                tcp += n
        board = s.total([(os.path.join(ROOT, p), p) for p in profile], "armv7m", 3)
        if s.errors:
            raise SystemExit("mpy-cross failed:\n" + "\n".join(s.errors))
    print('{"name": "mpy_size_smolnet_total", "value": %d, "unit": "bytes"}' % total)
    print('{"name": "mpy_size_smolnet_without_tcp", "value": %d, "unit": "bytes"}' % (total - tcp))
    print('{"name": "mpy_size_board_profile", "value": %d, "unit": "bytes"}' % board)


main()
