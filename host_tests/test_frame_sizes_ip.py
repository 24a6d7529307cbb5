"""The IPv4 packet path's call frames stay on the C stack (tools/frame_sizes.py).

Every function below runs for packets of a ping, a UDP exchange or a TCP
segment over IPv4 (tools/packet_path.py lists them): each keeps its state
within the 11 words MicroPython puts on the C stack, so none takes a frame
from the GC heap per packet. host_tests/test_frame_sizes.py holds the poll
loop and the whole code base's count; this file, the Interface's IPv4 path
and the wire helpers it calls.

CPython only.
"""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import frame_sizes  # noqa: E402

PATH = {
    "smolnet/iface/interface.py": (
        "Interface._rx_frame", "Interface.find_socket", "Interface.rx_udp",
        "Interface.rx_tcp", "Interface.tx_begin", "Interface.tx_finish",
        "Interface.send_frame", "_find_socket", "_take_dst", "_take_src"),
    "smolnet/iface/ipv4.py": (
        "rx", "_is_mine", "_rx_icmp", "_echo_reply", "tx_begin",
        "_pick_source", "tx_finish", "header", "l4_checksum"),
    "smolnet/iface/neighbor.py": ("NeighborCache.lookup", "lookup", "_find"),
    "smolnet/wire/ipv4.py": ("check", "fill_header", "fill_checksum"),
    "smolnet/wire/checksum.py": ("pseudo4", "pseudo6", "sum_with_part"),
    "smolnet/wire/ipaddr.py": ("same_prefix", "is_subnet_broadcast4"),
}


@pytest.fixture(scope="module")
def tool():
    try:
        return frame_sizes._mpy_tool()
    except frame_sizes.FrameError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.mark.parametrize("module", sorted(PATH))
def test_ipv4_packet_path_frames_on_the_c_stack(tool, module):
    rows = {r["function"].split(".", 1)[-1]: r
            for r in frame_sizes.frames(os.path.join(ROOT, module), tool)}
    for name in PATH[module]:
        assert name in rows, (name, sorted(rows))
        assert rows[name]["bytes"] <= frame_sizes.LIMIT_BYTES, (module, rows[name])
