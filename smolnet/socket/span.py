# Argument checks for the public calls that take (buf, off, n) or (buf, n)
# and an address buffer: TcpSocket.send/recv_into/peek_into, the datagram
# sockets' send_to/recv_into/send_echo, aio.UdpSocket, the socket module.
# One check per call, never per byte: the copy, checksum and sequence
# number twins under smolnet/fast/ trust their arguments, the viper ones
# write through raw pointers, so user numbers reach them only through here
# (or through the same checks written out where a datagram is queued:
# datagram.queue_parked and IcmpSocket.send_echo, a call fewer each).
#
# Convention (every class of smolnet.socket): a bad number is
# OSError(EINVAL), as the rest of the low-level API answers misuse; a buffer
# a call must write into that is read-only (bytes, a memoryview of bytes) is
# TypeError, as MicroPython's own readinto (MP_BUFFER_WRITE) says.
# n == -1 means "the rest of buf" wherever n is taken.
# Allocation-free: len(), compares and one byte stored back.
from micropython import const

# copy of smolnet/socket/errno.py's EINVAL
_EINVAL = const(22)


def span(buf, off, n):
    """The byte count of buf[off:off+n], checked against len(buf)."""
    size = len(buf)
    if off < 0 or off > size:
        raise OSError(_EINVAL)
    if n == -1:
        return size - off
    if n < 0 or n > size - off:
        raise OSError(_EINVAL)
    return n


def writable(buf, off, n):
    """span() for a buffer the call writes into. Storing one byte back
    raises TypeError for bytes and read-only memoryviews (the viper copy
    would write straight into them: flash, on a board with frozen code).
    (span()'s checks written out again: a call fewer on every read.)"""
    rest = len(buf) - off        # the bytes from off to the end
    if off < 0 or rest < 0 or n < -1 or n > rest:
        raise OSError(_EINVAL)
    if n == -1:
        n = rest
    if n:
        buf[off] = buf[off]
    return n


def address(addr, aoff, alen):
    """alen (4 or 16; -1: the rest of addr) bytes of address at addr[aoff:],
    checked; returns alen."""
    if alen == -1:
        alen = len(addr) - aoff
    if aoff < 0 or (alen != 4 and alen != 16) or aoff + alen > len(addr):
        raise OSError(_EINVAL)
    return alen
