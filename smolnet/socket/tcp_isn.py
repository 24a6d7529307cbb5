# Initial sequence numbers per RFC 6528: ISN = M + F(4-tuple, secret), M a
# clock ticking every 4 us, F a keyed hash (SHA-256 here) of the local and
# remote address and port with a secret chosen at start-up. The same hash
# gives the per-connection timestamp offset RFC 7323 5.4 recommends, so a
# peer cannot learn our uptime or correlate connections from TSval.
#
# Runs once per connection (SYN sent or received): allocation is fine here.
#
# The secret is 32 bytes or more: the hash takes all of it, the SYN
# cookies' hash key (tcp_cookie.py) is bytes 16..23 and the ephemeral port
# start (PortAllocator) bytes 30..31.
import time
import hashlib

try:
    import os
    _urandom = os.urandom
except (ImportError, AttributeError):
    _urandom = None


class _State:
    key = None


_st = _State()


def seed(key):
    """Set the secret: 32 bytes or more, else ValueError (a shorter key
    would leave the cookie key or the port start unset). Without a call,
    32 random bytes are drawn on first use."""
    key = bytes(key)
    if len(key) < 32:
        raise ValueError("tcp_isn.seed: the key needs 32 bytes or more")
    _st.key = key


def _secret():
    if _st.key is None:
        k = None
        if _urandom is not None:
            try:
                k = _urandom(32)
            except OSError:
                k = None
        if k is None:
            import random
            b = bytearray(32)
            t = time.ticks_us() if hasattr(time, "ticks_us") else 0
            for i in range(32):
                b[i] = (random.getrandbits(8) ^ (t >> (i & 7))) & 0xFF
            k = bytes(b)
        _st.key = k
    return _st.key


def compute(out, local, remote, alen, lport, rport, now_ms):
    """Write ISN (big-endian, out[0:4]) and timestamp offset (out[4:8]) for
    this 4-tuple at time now_ms (ticks)."""
    h = hashlib.sha256(_secret())
    h.update(bytes(local[:alen]))
    h.update(bytes(remote[:alen]))
    h.update(bytes((lport >> 8, lport & 0xFF, rport >> 8, rport & 0xFF)))
    d = h.digest()
    f = (d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]
    # M: 4 us ticks (RFC 6528 3); ms ticks wrap at 2**30 on MicroPython, so M
    # restarts every ~12 days, which only weakens the ordering between two
    # incarnations of one 4-tuple that far apart.
    isn = (f + now_ms * 250) & 0xFFFFFFFF
    out[0] = isn >> 24
    out[1] = (isn >> 16) & 0xFF
    out[2] = (isn >> 8) & 0xFF
    out[3] = isn & 0xFF
    out[4] = d[4]
    out[5] = d[5]
    out[6] = d[6]
    out[7] = d[7]


class PortAllocator:
    """Ephemeral ports (RFC 6056 suggests randomising them): a random start
    in 49152..65535, then sequential."""

    def __init__(self):
        self.next = 0

    def get(self):
        if self.next == 0:
            k = _secret()
            self.next = 49152 + (((k[30] << 8) | k[31]) & 0x3FFF)
        p = self.next
        self.next = p + 1 if p < 65535 else 49152
        return p


ports = PortAllocator()
