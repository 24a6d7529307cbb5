"""tools/tcptrace.py draws a time-sequence graph from any pcap smolnet
writes (issue 12). CPython: a lossy transfer between two smolnet Interfaces
is captured by PcapWriter; the tool finds the data direction, counts the
retransmissions the sender counted, every byte, and writes a PNG."""
import os
import subprocess
import sys

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))
import tcptrace


def test_graph_of_a_lossy_transfer(tmp_path):
    pcap = str(tmp_path / "lossy.pcap")
    segments, retransmits = tcptrace.demo_capture(pcap, size=300000, drop=3, seed=9)
    assert retransmits > 0
    a = tcptrace.analyse(tcptrace.tcp_segments(tcptrace.read_pcap(pcap)))
    assert a["flow"].startswith("192.0.2.1:") and a["flow"].endswith(" -> 192.0.2.2:5001")
    # what the sender sent with data, first times and again, as it counted
    assert len(a["retrans"]) == retransmits
    assert a["bytes"] == 300000
    assert a["acks"][-1][1] == 300000 and a["rtt_median_ms"] >= 1.0
    assert all(w >= k for (_, k), (_, w) in zip(a["acks"], a["wins"]))
    out = str(tmp_path / "g.png")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "tcptrace.py"), pcap,
                        "-o", out], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "%d retransmissions, 300000 bytes" % retransmits in r.stdout, r.stdout
    with open(out, "rb") as f:
        head = f.read(8)
    assert head == b"\x89PNG\r\n\x1a\n" and os.path.getsize(out) > 10000


def test_sender_state_panel(tmp_path):
    # make bench's graph adds the sender's cwnd and RTO, sampled in-process
    pcap = str(tmp_path / "s.pcap")
    state = []
    tcptrace.demo_capture(pcap, size=200000, drop=2, seed=4, sender_state=state)
    assert len(state) > 20 and all(c > 0 and r >= 200 for _, c, r in state)
    a = tcptrace.analyse(tcptrace.tcp_segments(tcptrace.read_pcap(pcap)))
    out = str(tmp_path / "s.png")
    tcptrace.draw(a, out, "with state", state)
    assert os.path.getsize(out) > os.path.getsize(pcap) // 100


def test_clean_transfer_has_no_retransmissions(tmp_path):
    pcap = str(tmp_path / "clean.pcap")
    tcptrace.demo_capture(pcap, size=100000, drop=0)
    a = tcptrace.analyse(tcptrace.tcp_segments(tcptrace.read_pcap(pcap)), port=5001)
    assert a["retrans"] == [] and a["bytes"] == 100000
    assert a["segments"] == len(a["data"])
