"""How long a method lookup searches an object's own attribute table on
MicroPython, from the object's attribute names alone.

    .venv/bin/python tools/attr_tables.py

A method call `obj.m()` on MicroPython first looks `m` up among the
instance's own attributes (py/objtype.c), a hash table that grows only when
it is full (py/map.c: sizes 0, 2, 4, ..., 47, 59, 73, 97, 127, 167, ...) and
is searched by linear probing until the name or an empty slot: a method
name is never there, so each call probes up to the next empty slot, about
19 ns a slot on a Cortex-M3. With 43 names in 47 slots the Interface's
`find_socket` probed 39 slots on every call (issue 11). Which slots are taken
depends only on the set of names and the table size (linear probing), so
the count can be worked out here: MicroPython hashes a name as djb2 over its
bytes (py/qstr.c qstr_compute_hash), kept to MICROPY_QSTR_BYTES_IN_HASH
bytes (2 on the boards here: checked against the MPS2 AN385 firmware).

host_tests/test_attr_tables.py holds the per-packet classes to it.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

# py/map.c hash_allocation_sizes
SIZES = (0, 2, 4, 6, 8, 10, 12, 17, 23, 29, 37, 47, 59, 73, 97, 127, 167, 223, 293,
         389, 521, 691, 919, 1223, 1627, 2161)
HASH_BYTES = 2


def qstr_hash(name, nbytes=HASH_BYTES):
    h = 5381
    for c in name.encode():
        h = (h * 33) ^ c
    h &= (1 << (8 * nbytes)) - 1
    return h or 1           # 0 means "not computed" in py/qstr.c


def table(names):
    """The slots (None: empty) of a table that took these names."""
    alloc = next(s for s in SIZES if s >= len(names))
    slots = [None] * alloc
    for n in names:
        p = qstr_hash(n) % alloc
        while slots[p] is not None:
            p = (p + 1) % alloc
        slots[p] = n
    return slots


def probes(slots, name):
    """Slots a lookup of `name`, absent from the table, reads."""
    alloc = len(slots)
    p = qstr_hash(name) % alloc
    k = 1
    while slots[p] is not None and k < alloc:
        p = (p + 1) % alloc
        k += 1
    return k


def objects():
    """The per-packet objects, set up as bench board_cm3.py uses them, with
    the methods a packet calls on each."""
    from smolnet.config import Config
    from smolnet.iface.interface import Interface
    from smolnet.phy.loopback import Loopback
    from smolnet.socket.icmp import IcmpSocket
    from smolnet.socket.tcp import TcpSocket
    from smolnet.socket.udp import UdpSocket
    a, _ = Loopback.pair(slots=4)
    i = Interface(a, Config(reassembly_slots=0))
    i.add_ip("192.0.2.1/24")
    t = i.add_socket(TcpSocket(2048, 2048))
    u = i.add_socket(UdpSocket())
    u.bind(7)
    c = i.add_socket(IcmpSocket())
    c.bind(1)
    sock = ("accepts", "process", "dispatch", "poll_at")
    return (
        ("Interface", i, ("poll", "tx_begin", "tx_finish", "rx_udp", "rx_tcp")),
        ("TcpSocket", t, sock + ("send", "recv_into", "may_send")),
        ("UdpSocket", u, sock + ("send_to", "recv_into")),
        ("IcmpSocket", c, sock + ("send_echo", "recv_into")),
    )


def report():
    out = {}
    for label, obj, methods in objects():
        names = list(vars(obj))
        slots = table(names)
        out[label] = (len(names), len(slots), {m: probes(slots, m) for m in methods})
    return out


def main():
    for label, (n, alloc, got) in report().items():
        print("%s: %d names in %d slots; probes per call: %s" % (
            label, n, alloc, ", ".join("%s %d" % kv for kv in got.items())))


if __name__ == "__main__":
    main()
