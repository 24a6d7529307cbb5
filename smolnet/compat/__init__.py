# Compatibility layer for existing MicroPython code:
#   smolnet.compat.socket    the `socket` module (lwIP semantics) over smolnet
#   smolnet.compat.network   a network.LAN-shaped NIC object (the manifest
#                            option lan=True: not in the board profile)
#   smolnet.compat.usocket   the same socket module under its old name
# smolnet.compat.socket.install() (sys.modules["socket"] = ["usocket"] = it)
# before a library is imported makes the library use it. smolnet.socket is
# the state machines underneath, not a socket module.


def __getattr__(name):
    # `from smolnet.compat import network` asks here before it imports the
    # submodule: import it (on MicroPython an exception from here is not a
    # "not found", so every submodule comes this way), or say which manifest
    # option a firmware without network lacks
    try:
        __import__(__name__ + "." + name)   # (from . import x: back here)
    except ImportError:
        if name == "network":
            raise _no_network()
        raise AttributeError(name)
    return globals()[name]


def _no_network():
    # (apart from __getattr__: the call would take its frame past 11 words)
    from .. import left_out
    return ImportError(left_out("", "compat.network", "lan"))
