"""Which functions take their call frame from the heap on a board.

    .venv/bin/python tools/frame_sizes.py [--all] [--json] [MODULE.py ...]

MicroPython's VM puts a bytecode function's state (locals, value stack,
exception stack) on the C stack only while it fits VM_MAX_STATE_ON_STACK,
11 machine words (py/objfun.c, fun_bc_call); a larger one is allocated from
the GC heap on every call and freed on return: time spent in the allocator
on every packet, and invisible to heap_lock (under it the VM silently falls
back to the C stack). The size is fixed at compile time: n_state words plus
n_exc_stack entries of 3 words (mp_exc_stack_t on a 32-bit port), both in
the function's bytecode prelude. This tool compiles smolnet's modules with
the mpy-cross built from the shared MicroPython v1.28.0 source (`make
firmware-qemu`), reads each function's prelude with that tree's
tools/mpy-tool.py, and lists the functions over the limit (--all: every
function). Viper and native functions run on the C stack and are skipped.

A deterministic figure: host_tests/test_frame_sizes.py holds the hot path
to it.
"""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPY_DIR = os.path.join(ROOT, "build", "micropython")
MPY_CROSS = os.path.join(MPY_DIR, "mpy-cross", "build", "mpy-cross")
LIMIT_BYTES = 4 * 11          # VM_MAX_STATE_ON_STACK on a 32-bit port
EXC_STACK_BYTES = 4 * 3       # sizeof(mp_exc_stack_t) on a 32-bit port


class FrameError(RuntimeError):
    pass


def _mpy_tool():
    path = os.path.join(MPY_DIR, "tools", "mpy-tool.py")
    if not os.path.isfile(path) or not os.access(MPY_CROSS, os.X_OK):
        raise FrameError("no %s or %s: run `make firmware-qemu`" % (path, MPY_CROSS))
    sys.path.insert(0, os.path.join(MPY_DIR, "py"))
    spec = importlib.util.spec_from_file_location("mpy_tool", path)
    tool = importlib.util.module_from_spec(spec)
    sys.argv, saved = [path], sys.argv
    try:
        spec.loader.exec_module(tool)
    finally:
        sys.argv = saved
    cfg = tool.config
    cfg.MICROPY_LONGINT_IMPL = cfg.MICROPY_LONGINT_IMPL_MPZ
    cfg.MPZ_DIG_SIZE = 16
    cfg.native_arch = tool.MP_NATIVE_ARCH_NONE
    cfg.arch_flags = 0
    cfg.MICROPY_QSTR_BYTES_IN_LEN = 1
    cfg.MICROPY_QSTR_BYTES_IN_HASH = 1
    tool.global_qstrs = tool.GlobalQStrList()   # what its main() sets up
    return tool


def _walk(tool, rc, path, out):
    if rc.code_kind == tool.MP_CODE_BYTECODE:
        n_state, n_exc = rc.prelude_signature[0], rc.prelude_signature[1]
        name = rc.simple_name.str
        out.append({"function": ".".join(path + [name]), "n_state": n_state,
                    "n_exc_stack": n_exc,
                    "bytes": 4 * n_state + EXC_STACK_BYTES * n_exc})
        path = path + [name]
    for child in getattr(rc, "children", ()):
        _walk(tool, child, path, out)


def frames(module_path, tool=None, workdir=None):
    """[{function, n_state, n_exc_stack, bytes}] of one .py file ('<module>'
    is its top level); function names are dotted through classes."""
    tool = tool or _mpy_tool()
    rel = os.path.relpath(module_path, ROOT)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        out = os.path.join(tmp, "m.mpy")
        r = subprocess.run([MPY_CROSS, "-march=armv7m", "-o", out, "-s", rel, module_path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise FrameError("mpy-cross %s: %s" % (rel, r.stderr.strip()))
        cm = tool.read_mpy(out)
    rows = []
    _walk(tool, cm.raw_code, [], rows)
    for row in rows:
        row["module"] = rel
    return rows


def over_limit(rows):
    return [r for r in rows if r["bytes"] > LIMIT_BYTES]


def smolnet_modules():
    sys.path.insert(0, os.path.join(ROOT, "firmware"))
    import smolnet_files
    return [os.path.join(ROOT, p) for p in smolnet_files.core_files(ROOT)]


def main(argv):
    show_all = "--all" in argv
    as_json = "--json" in argv
    paths = [a for a in argv if not a.startswith("--")] or smolnet_modules()
    tool = _mpy_tool()
    rows = []
    for p in paths:
        rows += frames(p, tool)
    shown = rows if show_all else over_limit(rows)
    if as_json:
        print(json.dumps(shown, indent=1))
        return 0
    print("%-60s %7s %5s %6s" % ("function (module: dotted name)", "n_state", "n_exc", "bytes"))
    for r in sorted(shown, key=lambda r: (-r["bytes"], r["module"], r["function"])):
        print("%-60s %7d %5d %6d" % ("%s: %s" % (r["module"], r["function"]), r["n_state"],
                                     r["n_exc_stack"], r["bytes"]))
    print("%d of %d functions take their frame from the heap (over %d bytes)"
          % (len(over_limit(rows)), len(rows), LIMIT_BYTES))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
