# Puts the stack's module-level state back to its import-time values, so a
# test sees the same stack whichever tests ran before it. Both runners call
# reset() before every test: conftest.py (an autouse fixture) on CPython,
# mprun.py on MicroPython. Runs on every runtime.
#
# Only modules already imported are touched (importing one here would change
# what the test sees). STATE names every module-level object the stack
# changes at run time; test_stack_reset.py fails when a module grows a new
# one that is not listed here.
import sys

# (module, object in it): the objects reset() rewrites
STATE = (
    ("smolnet.compat.network", "_g"),
    ("smolnet.compat.stack", "_reg"),
    ("smolnet.repl", "_st"),
    ("smolnet.socket.tcp_isn", "_st"),
    ("smolnet.socket.tcp_isn", "ports"),
    ("smolnet._cpython", "_heap_locked"),
)


def _reset_network(m):
    # the resolver address and hostname network.ipconfig()/hostname() set,
    # network.mdns() and the active LANs
    m._g.hostname = "smolnet"
    m._g.dns = "0.0.0.0"
    m._g.mdns = True
    m._g.lans = []


def _reset_stack(m):
    # the default Interface (stack.use) and network.ipconfig(prefer=)
    m._reg.net = None
    m._reg.prefer = 4


def _reset_repl(m):
    st = m._st
    st.out = print
    st.nic = st.iface = st.net = st.driver = st.dev = None


def _reset_tcp_isn(m):
    # a fresh secret is drawn on first use, and a fresh ephemeral port start
    m._st.key = None
    m.ports.next = 0


def _reset_shim(m):
    # CPython only: the shim's heap_lock() depth (mprun unlocks the real one)
    m._heap_locked[0] = 0


_RESETS = (
    ("smolnet.compat.network", _reset_network),
    ("smolnet.compat.stack", _reset_stack),
    ("smolnet.repl", _reset_repl),
    ("smolnet.socket.tcp_isn", _reset_tcp_isn),
    ("smolnet._cpython", _reset_shim),
)


def reset():
    for name, fn in _RESETS:
        m = sys.modules.get(name)
        if m is not None:
            fn(m)
