"""The TCP per-segment path keeps its call frames on the C stack.

tools/packet_path.py tcp lists what runs for every segment; these are the
functions of it in the socket's own modules (tcp*.py, the ring, span.py),
each held to the 11 words MicroPython keeps on the C stack
(tools/frame_sizes.py; a larger frame is taken from the GC heap on every
call). Not here: RingBuffer.peek_sum, whose call of fast.copy_sum16 (6
arguments) leaves room for 4 locals where it needs 5.

CPython only (the board's mpy-cross and mpy-tool, as test_frame_sizes.py).
"""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import frame_sizes  # noqa: E402

PER_SEGMENT = {
    "smolnet/socket/tcp.py": ("TcpSocket.send", "TcpSocket.recv_into", "TcpSocket.accepts"),
    "smolnet/socket/tcp_tx.py": ("dispatch", "poll_at", "_send_data", "_plan", "_send_at",
                                 "_send_ack", "_start_rtx"),
    "smolnet/socket/tcp_emit.py": ("emit", "_route", "_build", "_head", "rcv_wnd_field",
                                   "wnd_update_due"),
    "smolnet/socket/tcp_timers.py": ("RttEstimator.sample", "RttEstimator.srtt"),
    "smolnet/storage/ring.py": ("RingBuffer.write_from", "RingBuffer.write_at",
                                "RingBuffer.commit", "RingBuffer.read_into",
                                "RingBuffer.peek_into", "RingBuffer.discard"),
    "smolnet/socket/span.py": ("writable",),
}


@pytest.fixture(scope="module")
def tool():
    try:
        return frame_sizes._mpy_tool()
    except frame_sizes.FrameError as e:
        pytest.fail(str(e), pytrace=False)


def test_tcp_per_segment_frames_on_the_c_stack(tool):
    over = []
    for module, names in sorted(PER_SEGMENT.items()):
        rows = {r["function"].split(".", 1)[-1]: r
                for r in frame_sizes.frames(os.path.join(ROOT, module), tool)}
        for name in names:
            assert name in rows, (module, name, sorted(rows))
            if rows[name]["bytes"] > frame_sizes.LIMIT_BYTES:
                over.append("%s %s %d" % (module, name, rows[name]["bytes"]))
    assert not over, "\n".join(over)
