# Tests are independent of their order: stack_reset.reset() (run before every
# test by conftest.py and mprun.py) must know every module-level object the
# stack changes at run time, and put each back; the --shuffle option of
# pytest must draw one order per seed and say which.
import ast
import os
import re
import subprocess
import sys

import stack_reset
from conftest import HERE, ROOT

# module-level containers that are tables, never written after import
READ_ONLY = {
    ("smolnet.apps.http", "_REASONS"),     # status code -> reason phrase
    ("smolnet.config", "_OPTION"),         # Config keyword -> manifest option
    ("smolnet.socket.tcp_sack", "NO_RACK"),  # a stateless stand-in: its methods do nothing
}

# module-level scratch areas, filled before every read within one call: no
# state survives a call, so there is nothing to put back
SCRATCH = {
    ("smolnet.socket.tcp", "_OPT"),        # the options of the segment in process()
    ("smolnet.socket.tcp_ack", "SEG"),     # the segment in tcp_rx.process()
    ("smolnet.storage.ring", "_NEEDLE"),   # RingBuffer.find()'s needle
    ("smolnet.fast.thumb", "_ARGS"),       # the arguments past four of an asm call
    ("smolnet.socket.datagram", "parked"),  # the datagram send_to() hands to queue_parked()
}


def _module_objects():
    """(module, name) of every module-level name in smolnet/ and boards/
    bound to a call (other than const()) or a list/dict/set display: the
    places module state can hide."""
    found = set()
    for top in ("smolnet", "boards"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if not f.endswith(".py"):
                    continue
                path = os.path.join(dirpath, f)
                mod = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                if mod.endswith(".__init__"):
                    mod = mod[:-len(".__init__")]
                with open(path, encoding="utf-8") as fh:
                    tree = ast.parse(fh.read(), path)
                for node in tree.body:
                    if not isinstance(node, ast.Assign):
                        continue
                    v = node.value
                    if isinstance(v, ast.Call):
                        if ast.unparse(v.func) in ("const", "micropython.const"):
                            continue
                    elif not isinstance(v, (ast.List, ast.Dict, ast.Set, ast.ListComp,
                                            ast.DictComp, ast.SetComp)):
                        continue
                    for t in node.targets:
                        if isinstance(t, ast.Name):
                            found.add((mod, t.id))
    return found


def test_reset_knows_every_module_global():
    found = _module_objects()
    listed = set(stack_reset.STATE)
    missing = found - listed - READ_ONLY - SCRATCH
    assert not missing, ("module-level state stack_reset.reset() does not put back "
                         "(add it to STATE and reset(), or to READ_ONLY/SCRATCH here): %s"
                         % sorted(missing))
    stale = listed - found
    assert not stale, "stack_reset.STATE names objects that are gone: %s" % sorted(stale)
    assert {m for m, _ in listed} == {m for m, _ in stack_reset._RESETS}


def test_reset_puts_every_global_back():
    from smolnet import _cpython, repl
    from smolnet.compat import network, stack
    from smolnet.socket import tcp_isn
    network.hostname("box")
    network.ipconfig(dns="192.0.2.53", prefer=6)
    stack._reg.net = object()
    repl.set_output(lambda line: None)
    repl._st.iface = repl._st.nic = repl._st.net = repl._st.driver = repl._st.dev = object()
    tcp_isn.seed(bytes(range(32)))
    tcp_isn.ports.get()
    _cpython._heap_locked[0] = 2

    stack_reset.reset()

    assert network.hostname() == "smolnet"
    assert network.ipconfig("dns") == "0.0.0.0"
    assert network.ipconfig("prefer") == 4
    assert stack._reg.net is None
    assert repl._st.out is print
    assert [repl._st.iface, repl._st.nic, repl._st.net, repl._st.driver, repl._st.dev] \
        == [None] * 5
    assert tcp_isn._st.key is None and tcp_isn.ports.next == 0
    assert _cpython._heap_locked[0] == 0


def _collected(*args):
    """(test ids in run order, pytest's output) of collecting two modules;
    "-q" prints the ids, without it the header shows."""
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0",
         "--collect-only"] + list(args) + [
            os.path.join(HERE, "test_compat_network.py"),
            os.path.join(HERE, "test_wire.py")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items() if k != "SMOLNET_TEST_SHUFFLE"})
    assert out.returncode == 0, out.stdout + out.stderr
    ids = [line for line in out.stdout.splitlines() if "::" in line]
    return ids, out.stdout


def test_pytest_shuffle_is_seeded_and_says_so():
    plain, _ = _collected("-q")
    _, text = _collected()
    assert "collected" in text and "shuffle seed" not in text
    assert plain[0].startswith("host_tests/test_compat_network.py::")
    assert plain[-1].startswith("host_tests/test_wire.py::")
    one, _ = _collected("-q", "--shuffle=7")
    again, _ = _collected("-q", "--shuffle=7")
    other, _ = _collected("-q", "--shuffle=8")
    assert one == again
    assert sorted(one) == sorted(plain) == sorted(other)
    assert one != plain and other != one
    # each module's tests stay together
    modules = [i.split("::")[0] for i in one]
    assert modules == sorted(modules, key=modules.index)
    _, text = _collected("--shuffle=random")
    seed = re.search(r"shuffle seed (\d+) \(replay: --shuffle=\1", text)
    assert seed, text


def test_pytest_shuffle_random_agrees_across_xdist_workers():
    # xdist fails the run when its workers collect different orders: each
    # must get the controller's seed, not draw its own
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2",
         "--dist", "loadgroup", "--shuffle=random",
         os.path.join(HERE, "test_compat_network.py"), os.path.join(HERE, "test_wire.py")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items() if k != "SMOLNET_TEST_SHUFFLE"})
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.search(r"shuffle seed \d+", out.stdout), out.stdout
    assert re.search(r"\b\d+ passed\b", out.stdout), out.stdout
