# Socket state machines (udp, icmp, tcp, ...): each owns preallocated buffers
# and talks to the Interface through the contract in smolnet/iface/interface.py.
#
# The package is also the drop-in `socket` module: `import smolnet.socket as
# socket`, or sys.modules["socket"] = smolnet.socket before a library is
# imported. Its API names are looked up lazily in smolnet.compat.socket (a
# module-level __getattr__, which MicroPython's unix and webassembly ports
# support), so `from smolnet.socket.udp import UdpSocket` stays cheap.

_API = ("socket", "getaddrinfo", "inet_pton", "inet_ntop", "use", "current",
        "clear", "Net", "install")


def __getattr__(name):
    if name.startswith("_"):
        raise AttributeError(name)
    if name in _API or name.isupper():
        from ..compat import socket as facade
        try:
            return getattr(facade, name)
        except AttributeError:
            raise AttributeError(name)
    # a submodule not imported yet: MicroPython asks __getattr__ first on
    # `from smolnet.socket import udp` and does not fall back by itself
    import sys
    full = "smolnet.socket." + name
    try:
        __import__(full)
    except ImportError:
        raise AttributeError(name)
    return sys.modules[full]
