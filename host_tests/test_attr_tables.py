"""Method lookups on the per-packet objects stay short (tools/attr_tables.py:
a method name is first looked for among the instance's own attributes,
probing MicroPython's open-addressed table up to an empty slot, about 19 ns
a slot on the Cortex-M3). The budgets are today's probe counts: a new
attribute that fills the run a hot method's name hashes into fails here,
with the count, instead of slowing every packet a little. (TcpSocket's
dispatch, send and recv_into sit in long runs of its 167-slot table: a
lever not yet taken, see the note in TcpSocket.__init__.)

CPython only: the count is worked out from the attribute names.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tools"))
import attr_tables

# (class, method) -> most slots one lookup may probe
PROBES = {
    ("Interface", "poll"): 4, ("Interface", "tx_begin"): 3, ("Interface", "tx_finish"): 1,
    ("Interface", "rx_udp"): 6, ("Interface", "rx_tcp"): 4,
    ("TcpSocket", "accepts"): 1, ("TcpSocket", "process"): 8, ("TcpSocket", "dispatch"): 34,
    ("TcpSocket", "poll_at"): 4, ("TcpSocket", "send"): 61, ("TcpSocket", "recv_into"): 72,
    ("TcpSocket", "may_send"): 1,
    ("UdpSocket", "accepts"): 8, ("UdpSocket", "process"): 15, ("UdpSocket", "dispatch"): 11,
    ("UdpSocket", "poll_at"): 16, ("UdpSocket", "send_to"): 12, ("UdpSocket", "recv_into"): 7,
    ("IcmpSocket", "accepts"): 9, ("IcmpSocket", "process"): 2, ("IcmpSocket", "dispatch"): 2,
    ("IcmpSocket", "poll_at"): 3, ("IcmpSocket", "send_echo"): 4, ("IcmpSocket", "recv_into"): 8,
}


def test_hash_is_micropythons():
    # py/qstr.c's djb2 kept to two bytes: values the MPS2 AN385 firmware's
    # tables were checked against
    assert attr_tables.qstr_hash("") == 5381 & 0xFFFF
    assert attr_tables.qstr_hash("a") == ((5381 * 33) ^ 97) & 0xFFFF


def test_table_fills_as_micropython_grows_it():
    # a table grows only when full: 47 names stay in 47 slots, 48 take 59
    assert len(attr_tables.table(["n%d" % k for k in range(47)])) == 47
    assert len(attr_tables.table(["n%d" % k for k in range(48)])) == 59
    slots = attr_tables.table(["n%d" % k for k in range(47)])
    assert attr_tables.probes(slots, "absent") == 47     # full: every slot


def test_per_packet_method_lookups_stay_short():
    got = attr_tables.report()
    over = []
    for (label, method), budget in PROBES.items():
        n = got[label][2][method]
        if n > budget:
            over.append("%s.%s probes %d slots (budget %d; %d names in %d slots)" % (
                label, method, n, budget, got[label][0], got[label][1]))
    assert not over, over
