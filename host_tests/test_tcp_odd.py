# tcp_tx.dispatch() and poll_at() look at one field, s.odd, before the
# checks only an unusual socket needs (a RST to send, a handshake or
# TIME-WAIT, a neighbor being resolved, RACK's timer, a fast
# retransmission, a loss probe, recovery, a window probe): every writer
# that turns one of them on must set it. This runs the TCP suites again
# with each dispatch() and poll_at() checking that promise first
# (tcp_odd_check.py), and asks that each condition was met along the way.
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SUITES = ["test_tcp_states.py", "test_tcp_retransmit.py", "test_tcp_sack.py",
          "test_tcp_sack_use.py", "test_tcp_rack.py", "test_tcp_flow.py",
          "test_tcp_keepalive.py", "test_tcp_timewait.py", "test_tcp_harden.py",
          "test_tcp_security.py", "test_tcp_listen.py", "test_tcp_loopback.py",
          "test_tcp_emit.py", "test_tcp_cc.py", "test_tcp_options.py", "test_tcp_wrap.py",
          "test_tcp_fuzz.py", "test_tcp_cookie.py", "test_route_keep.py"]
# (probe_due is not among them: the persist timer's expiry sets it and the
# same _dispatch() call sends the probe; tcp_odd_check still checks it)
WANTED = ["rst_pending", "hold", "rack_timer", "fast_rtx", "tlp_due", "in_recovery", "state 0", "state 1", "state 2", "state 3", "state 10"]


def test_every_odd_condition_sets_odd(tmp_path):
    seen = tmp_path / "seen"
    env = dict(os.environ, SMOLNET_ODD_SEEN=str(seen))
    suites = [os.path.join(HERE, n) for n in SUITES if os.path.exists(os.path.join(HERE, n))]
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                        "-p", "tcp_odd_check"] + suites,
                       cwd=HERE, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    got = seen.read_text().split("\n")
    missing = [n for n in WANTED if n not in got]
    assert not missing, "the suites never reached %s" % ", ".join(missing)
