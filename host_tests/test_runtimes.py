# Runs every portable test module on the MicroPython ports its header names.
#
# A portable module's FIRST line is "# runtimes: cpython unix wasm" (or a
# subset). CPython runs it through pytest's normal collection; here each other
# runtime gets one pytest test, id "unix::test_wire_ipv4", that runs the module
# through host_tests/mprun.py and passes when mprun exits 0 with "N passed,
# 0 failed" (N at least the number of top-level test functions).
#
# Optional lines among the module's first five:
#   # heap: 8m        MicroPython heap for both ports (default: the port's own
#                     for unix, 4m for wasm)
#   # timeout: 600    seconds per runtime (default 300)
#
# A missing runtime (no .venv/bin/micropython, no node or npm package) FAILS
# the tests that need it, with what to do; it never skips.
import os
import re
import signal
import subprocess
import textwrap

import pytest

from conftest import HERE, ROOT, micropython_bin, micropython_env, portable_modules, wasm_cmd

DEFAULT_TIMEOUT = 300
MAX_SHOWN = 40000  # characters of runtime output shown on failure (the tail)


def _options(module):
    opts = {"heap": None, "timeout": DEFAULT_TIMEOUT}
    with open(os.path.join(HERE, module + ".py"), encoding="utf-8") as f:
        head = [f.readline() for _ in range(5)]
    for line in head[1:]:
        m = re.match(r"#\s*(heap|timeout):\s*(\S+)", line)
        if m:
            opts[m.group(1)] = m.group(2) if m.group(1) == "heap" else int(m.group(2))
    return opts


def _count_tests(path):
    with open(path, encoding="utf-8") as f:
        return len(re.findall(r"^def test_\w+\s*\(", f.read(), re.M))


def _command(runtime, module, tests=(), heap=None, extra_path=()):
    """argv, env for running mprun on one runtime."""
    # conftest.py puts pytest's --shuffle seed here; mprun shuffles the same way
    seed = os.environ.get("SMOLNET_TEST_SHUFFLE")
    mprun_args = (["--shuffle", seed] if seed else []) + [module] + list(tests)
    if runtime == "unix":
        argv = [micropython_bin()]
        if heap:
            argv += ["-X", "heapsize=" + heap.upper()]
        argv += [os.path.join(HERE, "mprun.py")] + mprun_args
        return argv, micropython_env(extra_path)
    if runtime == "wasm":
        argv = wasm_cmd()
        if heap:
            argv += ["--heap", heap]
        for p in extra_path:
            argv += ["--path", p]
        return argv + ["--"] + mprun_args, dict(os.environ)
    raise ValueError("no runner for runtime %r" % runtime)


def run_mprun(runtime, module, tests=(), heap=None, timeout=DEFAULT_TIMEOUT, extra_path=()):
    """Run module's tests on runtime; (exit status, combined output, argv)."""
    argv, env = _command(runtime, module, tests, heap, extra_path)
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        text = out.decode("utf-8", "replace")
        pytest.fail("%s timed out after %ss: %s\n%s" % (runtime, timeout, " ".join(argv),
                                                        _tail(text)), pytrace=False)
    return proc.returncode, out.decode("utf-8", "replace"), argv


def _tail(text):
    if len(text) <= MAX_SHOWN:
        return text
    return "[... %d characters cut ...]\n%s" % (len(text) - MAX_SHOWN, text[-MAX_SHOWN:])


SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$", re.M)


def _summary(out):
    found = SUMMARY.findall(out)
    return (int(found[-1][0]), int(found[-1][1])) if found else None


def _cases():
    cases = []
    for module, runtimes in portable_modules():
        # pytest-timeout's limit (pytest.ini) must not cut a longer header timeout
        limit = pytest.mark.timeout(_options(module)["timeout"] + 60)
        for rt in runtimes:
            if rt != "cpython":
                cases.append(pytest.param(rt, module, id="%s::%s" % (rt, module), marks=limit))
    return cases


@pytest.mark.parametrize("runtime,module", _cases())
def test_portable(runtime, module):
    opts = _options(module)
    rc, out, argv = run_mprun(runtime, module, heap=opts["heap"], timeout=opts["timeout"])
    summary = _summary(out)
    expected = _count_tests(os.path.join(HERE, module + ".py"))
    ok = rc == 0 and summary is not None and summary[1] == 0 and summary[0] >= expected
    if not ok:
        why = ("exit status %d" % rc) if rc else (
            "no 'N passed, N failed' line" if summary is None else
            "%d passed, %d failed (module has %d tests)" % (summary + (expected,)))
        pytest.fail("%s on %s: %s\n$ %s\n%s" % (module, runtime, why, " ".join(argv),
                                               _tail(out)), pytrace=False)


# --- the harness itself: mprun must report failures, not hide them ---------

PROBE = textwrap.dedent('''\
    import micropython

    def test_a_passes():
        pass

    def test_b_asserts():
        assert 1 == 2

    def test_c_raises():
        raise ValueError("boom")

    def test_d_leaves_heap_locked():
        # raising with the heap locked: the runner must unlock before printing
        micropython.heap_lock()
        raise ValueError("locked")

    def test_e_runs_after():
        x = [1, 2, 3]
        assert len(x) == 3

    def helper_not_a_test():
        raise RuntimeError("must not run")
    ''')


# defined out of alphabetical order; the first test leaves module state
# behind that the runner must reset before the next
PROBE_ORDER = textwrap.dedent('''\
    from smolnet.compat import network

    def test_z_leaks_a_hostname():
        network.hostname("leaked")

    def test_m_sees_the_default():
        assert network.hostname() == "smolnet"

    def test_a_runs_last():
        pass

    def test_q_later_still():
        pass
    ''')
ORDER = ["test_z_leaks_a_hostname", "test_m_sees_the_default", "test_a_runs_last",
         "test_q_later_still"]


@pytest.fixture
def probe_dir(tmp_path):
    (tmp_path / "mprun_probe.py").write_text(PROBE)
    (tmp_path / "mprun_probe_order.py").write_text(PROBE_ORDER)
    (tmp_path / "mprun_probe_broken.py").write_text("import no_such_module_xyz\n")
    return str(tmp_path)


@pytest.mark.parametrize("runtime", ["unix", "wasm"])
def test_mprun_reports_failures(runtime, probe_dir):
    rc, out, _ = run_mprun(runtime, "mprun_probe", extra_path=[probe_dir], timeout=60)
    lines = out.splitlines()
    assert rc == 1, out
    for line in ("PASS test_a_passes", "FAIL test_b_asserts", "FAIL test_c_raises",
                 "FAIL test_d_leaves_heap_locked", "PASS test_e_runs_after"):
        assert line in lines, out
    assert "ValueError: boom" in out, out
    assert "must not run" not in out, out
    assert lines[-1] == "2 passed, 3 failed", out


@pytest.mark.parametrize("runtime", ["unix", "wasm"])
def test_mprun_runs_named_tests(runtime, probe_dir):
    rc, out, _ = run_mprun(runtime, "mprun_probe", ["test_e_runs_after", "test_a_passes"],
                           extra_path=[probe_dir], timeout=60)
    assert rc == 0, out
    assert out.splitlines()[-1] == "2 passed, 0 failed", out
    rc, out, _ = run_mprun(runtime, "mprun_probe", ["test_nope"], extra_path=[probe_dir],
                           timeout=60)
    assert rc == 1 and out.splitlines()[-1] == "0 passed, 1 failed", out


@pytest.mark.parametrize("runtime", ["unix", "wasm"])
def test_mprun_reports_import_error(runtime, probe_dir):
    rc, out, _ = run_mprun(runtime, "mprun_probe_broken", extra_path=[probe_dir], timeout=60)
    assert rc == 1, out
    assert "FAIL import mprun_probe_broken" in out, out
    assert out.splitlines()[-1] == "0 passed, 1 failed", out


def _ran(out):
    return [line.split()[1] for line in out.splitlines()
            if line.startswith(("PASS ", "FAIL "))]


@pytest.mark.parametrize("runtime", ["unix", "wasm"])
def test_mprun_runs_tests_in_definition_order_with_globals_reset(runtime, probe_dir,
                                                                monkeypatch):
    monkeypatch.delenv("SMOLNET_TEST_SHUFFLE", raising=False)
    rc, out, _ = run_mprun(runtime, "mprun_probe_order", extra_path=[probe_dir], timeout=60)
    assert rc == 0, out
    assert _ran(out) == ORDER, out
    assert "shuffle" not in out, out


@pytest.mark.parametrize("runtime", ["unix", "wasm"])
def test_mprun_shuffles_by_seed(runtime, probe_dir, monkeypatch):
    import mprun
    orders = set()
    for seed in ("5", "6", "7"):
        monkeypatch.setenv("SMOLNET_TEST_SHUFFLE", seed)
        rc, out, _ = run_mprun(runtime, "mprun_probe_order", extra_path=[probe_dir],
                               timeout=60)
        assert rc == 0, out
        assert out.splitlines()[0] == "shuffle seed " + seed, out
        # the same order on every runtime: mprun's own shuffle, run here
        assert _ran(out) == mprun._shuffle(list(ORDER), int(seed)), out
        orders.add(tuple(_ran(out)))
    assert len(orders) > 1


def test_every_portable_module_is_found():
    # the header must be the very first line; a near miss would silently
    # leave a module to CPython alone
    for name in sorted(os.listdir(HERE)):
        if name.startswith("test_") and name.endswith(".py"):
            with open(os.path.join(HERE, name), encoding="utf-8") as f:
                head = f.read(2000)
            if re.search(r"^#\s*runtimes\s*:", head, re.M):
                assert head.startswith("# runtimes:"), \
                    "%s: '# runtimes: ...' must be the first line, spelled so" % name
    assert any(m == "test_harness_selfcheck" for m, _ in portable_modules())
