"""The per-packet path keeps its call frames off the heap (issue 11).

tools/packet_path.py runs ping, UDP echo and a TCP bulk transfer over a
Loopback pair with a profiler hook and counts the smolnet functions each
packet calls; tools/frame_sizes.py reads each one's state size from the
bytecode the board's own mpy-cross makes. A function over 11 words takes its
frame from the GC heap on every call: time that depends on the heap's
layout, and that heap_lock cannot see (the VM falls back to the C stack
under it). This is the check that sees them.

- No function on these paths takes a heap frame (with none, the figures no
  longer move with the heap's layout: board_cm3.py's TCP figure with the
  heap full of holes, held to a budget in test_board_budgets.py).
- Calls per packet stay within CALLS (the interpreter's call is the
  largest single cost left on a Cortex-M3; lower a budget when a change
  brings its figure down).

CPython only (the profiler hook); needs `make firmware-qemu`'s mpy-cross.
"""
import os
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))

import frame_sizes
import packet_path

# scenario -> Python calls per packet into smolnet (fast/ twins and the
# CPython shim aside), both ends: a ping round trip, a UDP echo (request and
# reply), a TCP segment; over IPv4 and over IPv6
CALLS = {"ping": 46, "udp64": 68, "udp1472": 67, "tcp": 67,
         "ping6": 57, "udp6_64": 87, "tcp6": 84}


@pytest.fixture(scope="module", params=sorted(packet_path.SCENARIOS))
def scenario(request, mpy_tool):
    calls = packet_path.per_packet(request.param)
    return request.param, packet_path.with_frames(calls, mpy_tool)


def test_the_scenarios_reach_the_packet_path(scenario):
    name, rows = scenario
    called = {(m, f) for m, f, _, _ in rows}
    assert ("smolnet/iface/interface.py", "_rx_frame") in called
    ip = "ipv6" if name.endswith("6") or "6_" in name else "ipv4"
    assert ("smolnet/iface/%s.py" % ip, "rx") in called
    if name.startswith("tcp"):
        assert ("smolnet/socket/tcp_rx.py", "process") in called
    # every function called was found in the board's compiled modules
    unknown = [(m, f) for m, f, _, row in rows if row is None and "<" not in f]
    assert not unknown, unknown


def test_no_heap_frames_on_the_packet_path(scenario):
    name, rows = scenario
    heap = sorted("%s: %s (%d bytes, %.2f calls per packet)" % (m, f, row["bytes"], n)
                  for m, f, n, row in rows
                  if row and row["bytes"] > frame_sizes.LIMIT_BYTES)
    assert not heap, "%s: heap frames on the packet path:\n%s" % (name, "\n".join(heap))


def test_calls_per_packet_within_budget(scenario):
    name, rows = scenario
    total = sum(n for _, _, n, _ in rows)
    assert total <= CALLS[name], "%s: %.1f calls per packet, budget %d" % (name, total, CALLS[name])
