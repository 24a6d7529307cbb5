"""The IPv6 packet path's call frames stay on the C stack (tools/frame_sizes.py).

Every function below runs for packets of a ping, a UDP exchange or a TCP
segment over IPv6 (tools/packet_path.py's ping6, udp6_64 and tcp6 list
them), or for every multicast packet received (Addrs6.joined: ND, mDNS):
each keeps its state within the 11 words MicroPython puts on the C stack,
so none takes a frame from the GC heap per packet. test_frame_sizes_ip.py
holds the Interface's share and the IPv4 path; this file, ipv6.py, the
address table of addr6.py and the wire helpers they call.

The rare branches stay off this list on purpose: extension headers
(ipv6._walk), ICMPv6 errors (icmp_error), the reply to a multicast echo
request (_reply_from_group), a route through a router (Routes6.lookup:
same_prefix's five arguments and the best route so far need twelve words).

CPython only.
"""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import frame_sizes  # noqa: E402

PATH = {
    "smolnet/iface/ipv6.py": (
        "rx", "_rx_cast_other", "_rx_icmp6", "_echo_reply", "begin_reply", "tx_begin",
        "_solicit", "tx_finish", "_l4_checksum"),
    "smolnet/iface/addr6.py": (
        "Addrs6.mine", "Addrs6.joined", "Addrs6.on_link", "Addrs6.select", "_common_bits"),
    "smolnet/iface/neighbor.py": ("NeighborCache.lookup", "lookup", "_find"),
    "smolnet/wire/ipv6.py": ("fill_header", "is_unspecified", "is_loopback", "is_all_nodes",
                              "is_solicited_node"),
    "smolnet/wire/icmpv6.py": ("fill_checksum",),
    "smolnet/wire/udp.py": ("fill_checksum",),
    "smolnet/wire/ipaddr.py": ("same_prefix",),
}


@pytest.fixture(scope="module")
def tool():
    try:
        return frame_sizes._mpy_tool()
    except frame_sizes.FrameError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.mark.parametrize("module", sorted(PATH))
def test_ipv6_packet_path_frames_on_the_c_stack(tool, module):
    rows = {r["function"].split(".", 1)[-1]: r
            for r in frame_sizes.frames(os.path.join(ROOT, module), tool)}
    for name in PATH[module]:
        assert name in rows, (name, sorted(rows))
        assert rows[name]["bytes"] <= frame_sizes.LIMIT_BYTES, (module, rows[name])


def test_the_ipv6_scenarios_call_no_heap_frame_of_this_path(tool):
    # what packet_path finds on the IPv6 paths in the files above: no heap
    # frame, and PATH names every IPv6 function it calls (the list keeps up
    # with the code)
    import packet_path
    for name in ("ping6", "udp6_64", "tcp6"):
        for m, f, _, row in packet_path.with_frames(packet_path.per_packet(name, 50), tool):
            if m in PATH and row is not None:
                assert row["bytes"] <= frame_sizes.LIMIT_BYTES, (name, m, f, row)
            if m in ("smolnet/iface/ipv6.py", "smolnet/iface/addr6.py"):
                assert f in PATH[m], (name, m, f)
