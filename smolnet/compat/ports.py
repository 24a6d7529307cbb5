# Ephemeral port choice for sockets that were not bound to a port.
# Runs once per socket: allocation is fine.
from ..rand import entropy_seed

_EADDRINUSE = 98


def in_use(iface, proto, port):
    """True if a socket of this protocol on iface is bound to port."""
    for s in iface.sockets:
        if s.proto == proto and (getattr(s, "port", 0) or getattr(s, "local_port", 0)) == port:
            return True
    return False


def ephemeral_port(iface, proto, lo=49152, hi=65535):
    """A port in the dynamic range (RFC 6335 6) that no socket of this
    protocol on iface uses; the search starts at a random place (RFC 6056
    3.3.1)."""
    span = hi - lo + 1
    start = entropy_seed() % span
    for i in range(span):
        p = lo + (start + i) % span
        if not in_use(iface, proto, p):
            return p
    raise OSError(_EADDRINUSE)
