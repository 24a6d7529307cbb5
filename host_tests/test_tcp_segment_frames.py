"""The TCP receive and ACK path keeps its call frames on the C stack.

What runs for every segment a TcpSocket takes (and for every SACK block
and out-of-order segment during loss recovery) in tcp_rx, tcp_ack, the
SACK scoreboard, RACK, the assembler and wire/tcp: none of it may take a
frame from the heap on a board (tools/frame_sizes.py; test_frame_sizes.py
says why). CPython only.
"""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import frame_sizes  # noqa: E402

PER_SEGMENT = {
    "smolnet/socket/tcp_rx.py": ("process", "_synchronized", "_check_seq", "_check_ack",
                                 "_data", "_take_fin", "challenge_ack", "challenge_due",
                                 "paws_old"),
    "smolnet/socket/tcp_ack.py": ("on_ack", "_ack_new", "_ack_old", "rtt_sample", "ts_now",
                                  "wnd_from", "arm_rtx", "_sack_blocks", "_dupack",
                                  "rack_detect", "_enter_recovery"),
    "smolnet/socket/tcp_sack.py": ("Scoreboard.add", "Scoreboard.on_ack_advance",
                                   "Scoreboard.sacked_in", "Scoreboard.unsacked_in",
                                   "Scoreboard.is_lost", "Scoreboard.lost_edge",
                                   "Scoreboard.next_hole", "Scoreboard.pipe"),
    "smolnet/socket/tcp_rack.py": ("Rack.sent", "Rack.acked", "Rack._deliver", "Rack.sacked",
                                   "Rack.detect", "Rack.reo_wnd", "Rack._resent", "Rack._split",
                                   "Rack.first_lost"),
    "smolnet/storage/assembler.py": ("Assembler.add_then_remove_front", "Assembler.add",
                                     "Assembler.remove_front", "Assembler._drop_first",
                                     "Assembler._shift", "Assembler.sack_index"),
    "smolnet/wire/tcp.py": ("parse", "_options", "parse_options", "put_header",
                            "put_ts_head", "put_sack_head"),
}


@pytest.fixture(scope="module")
def tool():
    try:
        return frame_sizes._mpy_tool()
    except frame_sizes.FrameError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.mark.parametrize("module", sorted(PER_SEGMENT))
def test_per_segment_frames_on_the_c_stack(tool, module):
    rows = {r["function"].split(".", 1)[-1]: r
            for r in frame_sizes.frames(os.path.join(ROOT, module), tool)}
    for name in PER_SEGMENT[module]:
        assert name in rows, (module, name, sorted(rows))
        assert rows[name]["bytes"] <= frame_sizes.LIMIT_BYTES, (module, rows[name])
