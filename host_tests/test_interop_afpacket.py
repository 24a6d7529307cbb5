"""smolnet.phy.afpacket.AfPacket against real frames: frames queued on the
socket must come out one per recv_into call, on the MicroPython unix port and
on CPython. CPython pytest, root only; not a portable module.

The kernel end of the veth pair sends a burst of frames (an AF_PACKET socket
of CPython's) before the reader looks, so they all wait in the socket queue.
"""
import sys

import pytest

from netns import micropython, ROOT, KERNEL_IF, SMOLNET_IF

pytestmark = pytest.mark.root

# ethertype 0x88b5 (IEEE 802 local experimental): nobody in the kernel answers
SEND_BURST = """
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
s.bind((sys.argv[1], 0))
for n in (60, 100, 1514):
    s.send(b"\\x02\\x00\\x00\\x00\\x00\\x09" + b"\\x02\\x00\\x00\\x00\\x00\\x08"
           + b"\\x88\\xb5" + bytes([n & 255]) * (n - 14))
"""

# reader: prints "ready", waits for "go" on stdin, then reads until empty
READ_ALL = """
import sys
sys.path.insert(0, sys.argv[1])
import smolnet
READER
d = make(sys.argv[2])
print("ready")
sys.stdout.flush() if hasattr(sys.stdout, "flush") else None
sys.stdin.readline()
buf = bytearray(1514)
out = []
while True:
    n = d.recv_into(buf)
    if n <= 0:
        break
    if buf[12] == 0x88 and buf[13] == 0xB5:  # ours, not the kernel's IPv6 chatter
        out.append(str(n))
print("frames " + " ".join(out))
"""

SMOLNET_READER = "from smolnet.phy.afpacket import AfPacket as make"

def read_burst(ns, python, reader):
    import subprocess
    script = READ_ALL.replace("READER", reader)
    p = subprocess.Popen(ns.cmd(python, "-c", script, ROOT, SMOLNET_IF),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        ns.run(sys.executable, "-c", SEND_BURST, KERNEL_IF)
        out, _ = p.communicate("go\n", timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    lines = [x for x in out.splitlines() if x.startswith("frames")]
    assert lines, out
    return lines[0].split()[1:]


def test_afpacket_one_frame_per_read_cpython(netns):
    assert read_burst(netns, sys.executable, SMOLNET_READER) == ["60", "100", "1514"]


def test_afpacket_one_frame_per_read_micropython(netns):
    assert read_burst(netns, micropython(), SMOLNET_READER) == ["60", "100", "1514"]


