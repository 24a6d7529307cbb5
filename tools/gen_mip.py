"""Generate the mip package descriptors in mip-packages/ from the tree.

    python3 tools/gen_mip.py            write mip-packages/*/package.json
    python3 tools/gen_mip.py --check    exit 1 if any is missing, stale or extra
    python3 tools/gen_mip.py --base-url URL --out DIR
                                        write copies whose urls are absolute
                                        (URL + "/" + repo path), for hosting
                                        the files somewhere else
    python3 tools/gen_mip.py --mpy ARCH --out DIR
                                        compile every file with mpy-cross for
                                        ARCH into DIR/files/ and write packages
                                        of .mpy files (make deploy MPY=1)

Packages:
    smolnet           the stack: the files firmware/manifest.py freezes
    smolnet-<chip>    the stack plus one driver, boards/<chip>/ (any directory
                      of boards/ holding an __init__.py), so one install gives
                      a board everything it needs

Why mip-packages/ and not mip/ or the repository root: the root package.json
is npm's, and a directory named mip/ next to a MicroPython script would shadow
the real mip module (the unix port puts '' first on sys.path).

The urls are relative to the package.json, so the same file works from a
checkout (mpremote mip install mip-packages/smolnet/package.json), from any
web server serving the checkout, and (if the host resolves "../" in paths)
from github:<owner>/<repo>/mip-packages/<pkg>/package.json. mip reads only
"urls", "deps" and "version"; a self-contained package needs no deps.
"""

import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "firmware"))

import smolnet_files  # noqa: E402  (firmware/smolnet_files.py: what goes on a board)

OUT_DIR = "mip-packages"


def version(root=ROOT):
    with open(os.path.join(root, "smolnet", "__init__.py")) as f:
        m = re.search(r"^__version__\s*=\s*[\"']([^\"']+)[\"']", f.read(), re.M)
    if not m:
        raise SystemExit("smolnet/__init__.py has no __version__")
    return m.group(1)


def packages(root=ROOT):
    """{package name: sorted list of repo-relative .py paths}"""
    core = smolnet_files.core_files(root)
    pk = {"smolnet": sorted(core)}
    for chip in smolnet_files.drivers(root):
        pk["smolnet-" + chip] = sorted(set(core) | set(smolnet_files.driver_files(chip, root)))
    return pk


def render(files, ver, base_url=None, urls=None):
    """The package.json text for one package (urls: explicit [target, url]
    pairs instead of ones made from files)."""
    if urls is not None:
        pass
    elif base_url:
        urls = [[p, base_url.rstrip("/") + "/" + p] for p in files]
    else:
        # package.json sits in mip-packages/<name>/: two levels below the root
        urls = [[p, "../../" + p] for p in files]
    # json.dumps(indent=...) would put each half of a pair on its own line
    lines = ["{", '  "urls": [']
    for i, pair in enumerate(urls):
        lines.append("    " + json.dumps(pair) + ("," if i + 1 < len(urls) else ""))
    lines += ["  ],", '  "deps": [],', '  "version": %s' % json.dumps(ver), "}"]
    text = "\n".join(lines) + "\n"
    json.loads(text)  # stays valid JSON
    return text


def wanted(root=ROOT, base_url=None):
    """{path relative to the output dir: text}"""
    ver = version(root)
    return {name + "/package.json": render(files, ver, base_url)
            for name, files in packages(root).items()}


def compiled(out_dir, arch, root=ROOT):
    """Precompiled packages: every file through mpy-cross -march=arch into
    out_dir/files/, and out_dir/<pkg>/package.json listing the .mpy files.
    A board then imports bytecode instead of compiling source in its RAM.
    Returns the texts written (as write() takes them)."""
    import mpy_sizes  # finds and runs mpy-cross
    cross = mpy_sizes.find_mpy_cross()
    if not cross:
        raise SystemExit("mpy-cross not found: set SMOLNET_MPY_CROSS or run make setup")
    ver = version(root)
    texts = {}
    done = set()
    for name, files in packages(root).items():
        urls = []
        for p in files:
            if not smolnet_files.builds_for(p, arch):
                continue
            target = p[:-3] + ".mpy"
            if p not in done:
                ok, msg = mpy_sizes.compile_mpy(cross, os.path.join(root, p),
                                                os.path.join(out_dir, "files", target), arch, p)
                if not ok:
                    raise SystemExit("mpy-cross -march=%s %s: %s" % (arch, p, msg))
                done.add(p)
            urls.append([target, "../files/" + target])
        texts[name + "/package.json"] = render(None, ver, urls=urls)
    write(out_dir, texts, prune=False)
    return texts


def existing(out_dir):
    found = {}
    if os.path.isdir(out_dir):
        for name in sorted(os.listdir(out_dir)):
            p = os.path.join(out_dir, name, "package.json")
            if os.path.isfile(p):
                with open(p) as f:
                    found[name + "/package.json"] = f.read()
    return found


def check(root=ROOT):
    """Problems as a list of strings; empty when mip-packages/ is in sync."""
    want = wanted(root)
    have = existing(os.path.join(root, OUT_DIR))
    problems = []
    for path in sorted(want):
        if path not in have:
            problems.append("missing: %s/%s" % (OUT_DIR, path))
        elif have[path] != want[path]:
            problems.append("stale: %s/%s" % (OUT_DIR, path))
    for path in sorted(set(have) - set(want)):
        problems.append("extra (no such package): %s/%s" % (OUT_DIR, path))
    return problems


def write(out_dir, texts, prune):
    for path, text in sorted(texts.items()):
        full = os.path.join(out_dir, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        old = None
        if os.path.isfile(full):
            with open(full) as f:
                old = f.read()
        if old != text:
            with open(full, "w") as f:
                f.write(text)
            print("wrote", os.path.relpath(full))
    if prune:
        for path in sorted(set(existing(out_dir)) - set(texts)):
            full = os.path.join(out_dir, path)
            os.remove(full)
            try:
                os.rmdir(os.path.dirname(full))
            except OSError:
                pass
            print("removed", os.path.relpath(full))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if mip-packages/ is out of date")
    ap.add_argument("--base-url", help="make urls absolute: BASE_URL/<repo path>")
    ap.add_argument("--out", help="output directory (default mip-packages/)")
    ap.add_argument("--list", action="store_true", help="print packages and files")
    ap.add_argument("--mpy", metavar="ARCH",
                    help="with --out: packages of .mpy files compiled for ARCH "
                         "(armv6m, armv7m, armv7emsp, armv7emdp, xtensawin, ...)")
    args = ap.parse_args(argv)

    if args.list:
        for name, files in packages().items():
            print(name)
            for p in files:
                print("   ", p)
        return 0
    if args.check:
        problems = check()
        for p in problems:
            print(p)
        if problems:
            print("run: python3 tools/gen_mip.py", file=sys.stderr)
            return 1
        print("%s/ is in sync (%d packages)" % (OUT_DIR, len(wanted())))
        return 0
    if args.mpy:
        if not args.out:
            ap.error("--mpy needs --out: mip-packages/ holds the source packages")
        compiled(args.out, args.mpy)
        return 0
    if args.base_url and not args.out:
        ap.error("--base-url needs --out: the committed files keep relative urls")
    out_dir = args.out or os.path.join(ROOT, OUT_DIR)
    write(out_dir, wanted(base_url=args.base_url), prune=not args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
