"""Run smolnet's benchmarks and collect their figures (`make bench`).

    .venv/bin/python tools/bench.py [--runtime unix|wasm|cpython] [NAME ...]

Runs every tools/bench/bench_*.py (or those whose name contains one of the
NAMEs) from the repo root, on the MicroPython unix port by default. Each
benchmark prints one JSON object per line, {"name": ..., "value": ...,
"unit": ...} (extra keys are kept); other lines are passed through as log.
Prints a table and writes bench/results/latest.json (and appends the run to
bench/results/history.jsonl). Exit status 1 if a benchmark failed or printed
no figure. Figures are for the README, never asserted.

A script may name its own runtime with a line `# bench-runtime: cpython`
(or unix, wasm) among its first lines: an orchestrator that makes network
namespaces and starts the unix port itself runs on CPython whatever
--runtime says.
"""
import argparse
import datetime
import glob
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(ROOT, "tools", "bench")
RESULTS = os.path.join(ROOT, "bench", "results")


def micropython_bin():
    return os.environ.get("SMOLNET_MICROPYTHON") or os.path.join(ROOT, ".venv", "bin", "micropython")


def command(runtime, path):
    if runtime == "unix":
        env = dict(os.environ)
        env["MICROPYPATH"] = ":".join([ROOT, os.path.join(ROOT, "host_tests"), ".frozen"])
        return [micropython_bin(), path], env
    if runtime == "wasm":
        return ["node", os.path.join(ROOT, "host_tests", "wasm_run.mjs"), "--exec", path], None
    if runtime == "cpython":
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([ROOT, os.path.join(ROOT, "host_tests")])
        return [sys.executable, path], env
    raise SystemExit("unknown runtime %r" % runtime)


def version(runtime):
    if runtime == "unix":
        argv = [micropython_bin(), "-c", "import sys; print(sys.version)"]
    elif runtime == "cpython":
        return sys.version.split()[0]
    else:
        return "webassembly (npm @micropython/micropython-webassembly-pyscript)"
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def git_commit():
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True, timeout=10)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "?"


def own_runtime(path):
    """The runtime a script asks for in its first lines, or None."""
    try:
        with open(path) as f:
            for _ in range(20):
                line = f.readline()
                if line.startswith("# bench-runtime:"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def run_one(runtime, path, timeout):
    argv, env = command(runtime, path)
    t0 = time.monotonic()
    try:
        proc = subprocess.run(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout)
        rc, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timeout", e.stdout or "", e.stderr or ""
        out = out.decode(errors="replace") if isinstance(out, bytes) else out
        err = err.decode(errors="replace") if isinstance(err, bytes) else err
    except OSError as e:
        rc, out, err = "not runnable", "", str(e)
    secs = time.monotonic() - t0
    figures, log = [], []
    for line in out.splitlines():
        s = line.strip()
        if s.startswith("{"):
            try:
                obj = json.loads(s)
            except ValueError:
                log.append(line)
                continue
            if isinstance(obj, dict) and "name" in obj and "value" in obj:
                obj.setdefault("unit", "")
                obj["bench"] = os.path.basename(path)
                figures.append(obj)
                continue
        log.append(line)
    log.extend(err.splitlines())
    return rc, figures, log, secs


def fmt_value(v):
    if isinstance(v, float):
        return "%.4g" % v if abs(v) < 1000 else "%.0f" % v
    return str(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="run only benchmarks whose file name contains one")
    ap.add_argument("--runtime", default="unix", choices=("unix", "wasm", "cpython"))
    ap.add_argument("--timeout", type=float, default=600, help="seconds per benchmark file")
    ap.add_argument("--out", default=os.path.join(RESULTS, "latest.json"))
    args = ap.parse_args()

    files = sorted(glob.glob(os.path.join(BENCH_DIR, "bench_*.py")))
    if args.names:
        files = [f for f in files if any(n in os.path.basename(f) for n in args.names)]
    if not files:
        print("bench: no benchmarks found in %s" % BENCH_DIR)
        return 1
    if args.runtime == "unix" and not os.access(micropython_bin(), os.X_OK):
        print("bench: %s not found: run 'make setup'" % micropython_bin())
        return 1

    results, failed = [], []
    for path in files:
        name = os.path.basename(path)
        runtime = own_runtime(path) or args.runtime
        print("bench: %s on %s ..." % (name, runtime), flush=True)
        rc, figures, log, secs = run_one(runtime, path, args.timeout)
        results.extend(figures)
        if rc != 0 or not figures:
            failed.append({"bench": name, "status": rc, "log": log[-40:]})
            print("bench: %s FAILED (%s, %d figures)" % (name, rc, len(figures)))
            for line in log[-40:]:
                print("    " + line)
        else:
            print("bench: %s done in %.1fs" % (name, secs))

    width = max([len(r["name"]) for r in results] + [4])
    print()
    print("%-*s  %12s  %s" % (width, "name", "value", "unit"))
    print("%s  %s  %s" % ("-" * width, "-" * 12, "-" * 10))
    for r in results:
        print("%-*s  %12s  %s" % (width, r["name"], fmt_value(r["value"]), r["unit"]))

    run = {
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "runtime": args.runtime,
        "version": version(args.runtime),
        "results": results,
        "failed": failed,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(run, f, indent=1)
        f.write("\n")
    with open(os.path.join(os.path.dirname(os.path.abspath(args.out)), "history.jsonl"), "a") as f:
        f.write(json.dumps(run) + "\n")
    print("\nbench: %d figures, %d failed; written to %s"
          % (len(results), len(failed), os.path.relpath(args.out, ROOT)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
