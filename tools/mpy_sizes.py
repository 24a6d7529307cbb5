"""Compiled (.mpy) size of smolnet per configuration and architecture.

    python3 tools/mpy_sizes.py            tables in Markdown (make mpy-sizes)
    python3 tools/mpy_sizes.py --arch armv6m --arch xtensawin

Rows: the core stack (all of smolnet a board can use), the board profile
(what firmware/manifest.py freezes by default) and what each of its options
adds (firmware/smolnet_files.py OPTIONS), each driver of boards/ alone and
core + driver, then every firmware/boards/<BOARD> build as its manifest lists
it (example app included), and each extra manifest_<variant>.py there. Figures are the bytes of
the .mpy files mpy-cross writes at the -O level the manifests freeze with
(-O3, no line numbers, firmware/manifest.py's default; the board profile
also with line numbers, lines=True; each board as its manifest says):
close to what `mip install` puts on a filesystem (mip's -O0 .mpy files
carry line numbers, about 8% more) and to what
a frozen build adds to flash (frozen code is stored as C data, not as .mpy,
so expect some difference either way). Viper functions become machine code,
which is why the figure depends on the architecture.

Also the one place the tests and tools find mpy-cross: find_mpy_cross().
"""

import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "firmware"))

import manifest_files  # noqa: E402
import smolnet_files  # noqa: E402  (firmware/smolnet_files.py)

# armv6 is what MicroPython's qemu port uses for its Cortex-A9 (sabrelite) board
ARCHES = ("armv6m", "armv7m", "armv7emsp", "armv7emdp", "xtensawin", "armv6")
# the table's columns unless --arch is given
DEFAULT_ARCHES = ("armv6m", "armv7m", "armv7emdp", "xtensawin")


def find_tool(name, env_var, root=ROOT):
    """$env_var, else the project's .venv/bin, else next to the running
    Python (whatever venv runs the tests), else PATH. None if none has it."""
    path = os.environ.get(env_var)
    if path:
        return path if os.path.isfile(path) and os.access(path, os.X_OK) else None
    for d in (os.path.join(root, ".venv", "bin"), os.path.dirname(sys.executable)):
        cand = os.path.join(d, name)
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return shutil.which(name)


def find_mpy_cross():
    return find_tool("mpy-cross", "SMOLNET_MPY_CROSS")


def find_micropython():
    return find_tool("micropython", "SMOLNET_MICROPYTHON")


def board_config(board, root=ROOT):
    """The NAME = value settings of firmware/boards/<board>/board.mk."""
    cfg = {}
    with open(os.path.join(root, "firmware", "boards", board, "board.mk")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            for op in (":=", "?=", "="):
                if op in line:
                    k, v = line.split(op, 1)
                    cfg[k.strip()] = v.strip()
                    break
    return cfg


def boards(root=ROOT):
    top = os.path.join(root, "firmware", "boards")
    if not os.path.isdir(top):
        return []
    return sorted(b for b in os.listdir(top)
                  if os.path.isfile(os.path.join(top, b, "manifest.py")))


def compile_mpy(mpy_cross, src, out, arch, target_path, opt=0):
    """Compile one file; (ok, message). The source name embedded in the .mpy
    is its path on the board, as the freeze build records it. opt: mpy-cross
    -O level (3: no line numbers, a manifest's lines=False)."""
    os.makedirs(os.path.dirname(out), exist_ok=True)
    cmd = [mpy_cross, "-march=" + arch, "-s", target_path, "-o", out, src]
    if opt:
        cmd.append("-O%d" % opt)
    p = subprocess.run(cmd, capture_output=True, text=True)
    msg = (p.stdout + p.stderr).strip()
    return p.returncode == 0 and os.path.isfile(out), msg


class Sizer:
    """Compiles each (file, arch) once and remembers the size."""

    def __init__(self, mpy_cross, workdir):
        self.mpy_cross = mpy_cross
        self.workdir = workdir
        self.cache = {}
        self.errors = []

    def size(self, full_path, target_path, arch, opt=0):
        key = (full_path, arch, opt)
        if not smolnet_files.builds_for(target_path, arch):
            return 0               # not on that architecture's boards
        if key not in self.cache:
            out = os.path.join(self.workdir, arch + "-O%d" % opt, target_path[:-3] + ".mpy")
            ok, msg = compile_mpy(self.mpy_cross, full_path, out, arch, target_path, opt)
            if ok:
                self.cache[key] = os.path.getsize(out)
            else:
                self.cache[key] = 0
                self.errors.append("%s (%s): %s" % (target_path, arch, msg))
        return self.cache[key]

    def total(self, pairs, arch, opt=0):
        """Bytes of (full_path, target_path[, opt]) pairs; opt: the -O level
        of a pair without its own."""
        return sum(self.size(p[0], p[1], arch, p[2] if len(p) > 2 else opt) for p in pairs)

    def prefetch(self, jobs):
        """Compile (full_path, target_path, arch[, opt]) jobs on all cores first."""
        todo = sorted(set(j for j in jobs if (j[0], j[2], j[3] if len(j) > 3 else 0)
                          not in self.cache))
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            list(pool.map(lambda j: self.size(*j), todo))


def _pairs(paths, root):
    return [(os.path.join(root, p), p) for p in paths]


def configurations(root=ROOT):
    """[(label, [(full_path, target_path)])] for the core and each driver."""
    core = _pairs(smolnet_files.core_files(root), root)
    rows = [("core (smolnet)", core)]
    off = {name: False for name in smolnet_files.OPTIONS}
    # every architecture here runs viper: the profile leaves the pure twins
    # out, and a build with debug=True keeps them (smolnet_files.PURE_TWINS)
    pure = list(smolnet_files.PURE_TWINS)
    rows.append(("board profile", _pairs([p for p in smolnet_files.core_files(root, **off)
                                          if p not in pure], root)))
    for name in smolnet_files.OPTIONS:
        rows.append(("option %s=True adds" % name,
                     _pairs(smolnet_files.option_files(name, root) +
                            (pure if name == "debug" else []), root)))
    for chip in smolnet_files.drivers(root):
        drv = _pairs(smolnet_files.driver_files(chip, root), root)
        rows.append(("driver %s alone" % chip, drv))
        rows.append(("core + %s" % chip, core + drv))
    return rows


def board_rows(root=ROOT):
    """[(board, arch, [(full_path, target_path)], note)] per firmware board."""
    out = []
    for b in boards(root):
        cfg = board_config(b, root)
        d = os.path.join(root, "firmware", "boards", b)
        variants = [("", "manifest.py")] + [
            (" (%s)" % f[len("manifest_"):-3], f) for f in sorted(os.listdir(d))
            if f.startswith("manifest_") and f.endswith(".py")]
        for suffix, f in variants:
            try:
                res = manifest_files.evaluate(os.path.join(d, f), main=True)
            except manifest_files.ManifestError as e:
                out.append((b + suffix, cfg.get("SMOLNET_ARCH", "?"), None, str(e)))
                continue
            pairs = [(e.full_path, e.target_path, e.opt or 0) for e in res.entries
                     if e.kind == "py"]
            out.append((b + suffix, cfg.get("SMOLNET_ARCH", "?"), pairs, ""))
    return out


def report(arches, root=ROOT, out=sys.stdout):
    mpy_cross = find_mpy_cross()
    if not mpy_cross:
        raise SystemExit("mpy-cross not found: set SMOLNET_MPY_CROSS or run make setup")
    with tempfile.TemporaryDirectory(prefix="smolnet-mpy-") as work:
        s = Sizer(mpy_cross, work)
        confs = configurations(root)
        brows = board_rows(root)
        s.prefetch([(f, t, a, o) for _, pairs in confs for f, t in pairs for a in arches
                    for o in (0, 3)] +
                   [(f, t, arch, o) for _, arch, pairs, _ in brows if pairs for f, t, o in pairs])
        w = out.write
        w("### .mpy bytes per configuration\n\n")
        w("| configuration | files | " + " | ".join(arches) + " |\n")
        w("|---|---:|" + "---:|" * len(arches) + "\n")
        for label, pairs in confs:
            # as a manifest freezes them: without line numbers (-O3); the
            # board profile also with them (lines=True)
            cells = [str(s.total(pairs, a, 3)) for a in arches]
            w("| %s | %d | %s |\n" % (label, len(pairs), " | ".join(cells)))
            if label == "board profile":
                cells = [str(s.total(pairs, a)) for a in arches]
                w("| board profile, lines=True (-O0) | %d | %s |\n" % (len(pairs), " | ".join(cells)))
        w("\n### .mpy bytes per firmware board (smolnet + driver + example main.py)\n\n")
        w("| board | arch | files | bytes |\n|---|---|---:|---:|\n")
        for board, arch, pairs, note in brows:
            if pairs is None:
                w("| %s | %s | - | manifest error: %s |\n" % (board, arch, note))
            else:
                w("| %s | %s | %d | %d |\n" % (board, arch, len(pairs), s.total(pairs, arch)))
        w("\nmpy-cross: %s\n" % subprocess.run([mpy_cross, "--version"], capture_output=True,
                                                text=True).stdout.strip())
        if s.errors:
            w("\ncompile errors (counted as 0 bytes above):\n")
            for e in s.errors:
                w("  %s\n" % e)
            return 1
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--arch", action="append", choices=ARCHES,
                    help="architecture column (repeatable; default: %s)" % " ".join(DEFAULT_ARCHES))
    ap.add_argument("--update", metavar="FILE",
                    help="also write the tables between the <!-- mpy-sizes --> "
                         "markers of FILE (firmware/README.md)")
    args = ap.parse_args(argv)
    if not args.update:
        return report(tuple(args.arch or DEFAULT_ARCHES))
    import io
    buf = io.StringIO()
    rc = report(tuple(args.arch or DEFAULT_ARCHES), out=buf)
    sys.stdout.write(buf.getvalue())
    with open(args.update) as f:
        text = f.read()
    start, end = "<!-- mpy-sizes -->\n", "<!-- /mpy-sizes -->"
    if start not in text or end not in text:
        raise SystemExit("%s has no %s ... %s markers" % (args.update, start.strip(), end))
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    with open(args.update, "w") as f:
        f.write(head + start + buf.getvalue().replace("### ", "#### ") + end + tail)
    return rc


if __name__ == "__main__":
    sys.exit(main())
