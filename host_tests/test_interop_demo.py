"""`make demo` (tools/demo.py): the namespace version as root, and the
Loopback version it falls back to without root, on both runtimes.

CPython pytest; the namespace part needs root (see host_tests/netns.py).
"""
import re
import subprocess
import sys

import pytest

from netns import ROOT, check_host, micropython, NetnsError

DEMO = ROOT + "/tools/demo.py"


def run(args, timeout=60):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout, cwd=ROOT)
    return r.returncode, r.stdout


@pytest.mark.root
def test_demo_with_the_kernel():
    try:
        check_host()
        micropython()
    except NetnsError as e:
        pytest.fail(str(e), pytrace=False)
    code, out = run([sys.executable, DEMO])
    assert code == 0, out
    assert "Everything was answered." in out, out
    for text in ("5 packets transmitted, 5 received, 0% packet loss",
                 "got 'hello\\n'", "socat: Connection refused",
                 "3 packets transmitted, 3 received, 0% packet loss",
                 "icmp_echo_replies=5", "frames, no errors"):
        assert text in out, (text, out)
    # the namespace is gone
    name = re.search(r"namespace (smolnet-\d+-\d+)", out).group(1)
    listing = subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE, text=True).stdout
    assert name not in listing, listing


def test_demo_loopback_fallback():
    for cmd in ([sys.executable, DEMO, "--loopback"], [micropython(), DEMO]):
        code, out = run(cmd)
        assert code == 0, out
        assert "Loopback conversation: all answered" in out, out
        assert "5 packets transmitted, 5 received, 0% packet loss" in out, out
        assert "got b'hello\\n' from 192.0.2.2:6969" in out, out
        assert "icmp_errors_received=1" in out, out
