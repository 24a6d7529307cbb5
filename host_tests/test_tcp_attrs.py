# runtimes: cpython unix wasm
# TcpSocket's attribute table keeps room (the note at the end of
# TcpSocket.__init__): MicroPython grows an object's table only when it is
# full, and a full one makes every method call on the socket probe all of
# it. Adding 16 more names must fit without growing it (no allocation).
from support import is_micropython, heap_locked
from smolnet.socket.tcp import TcpSocket

NAMES = ["room_probe_%d" % i for i in range(16)]


class _Other:
    pass


def test_attribute_table_has_room():
    if not is_micropython:
        return                  # CPython's dicts grow on their own terms
    o = _Other()
    for n in NAMES:
        setattr(o, n, 0)        # interns the names outside the lock
    s = TcpSocket(16, 16)

    def add():
        for n in NAMES:
            setattr(s, n, 1)

    heap_locked(add)
