# A pytest plugin for test_tcp_odd.py (not a test module itself): every
# TcpSocket.dispatch() and poll_at() call first checks s.odd's promise
# (tcp_tx.odd): any condition the common path skips is on only with s.odd
# set, before the call and after a dispatch(). It records which conditions it saw (in $SMOLNET_ODD_SEEN, one name a
# line) so that the test can tell the suite it ran did reach each of them.
import os

_SEEN = set()
_NAMES = ("rst_pending", "hold", "rack_timer", "fast_rtx", "tlp_due", "in_recovery",
          "probe_due")


def _check(s):
    from smolnet.socket import tcp_tx
    if not tcp_tx.odd(s):
        return
    on = [n for n in _NAMES if getattr(s, n)]
    if not on:
        on = ["state %d" % s.state]
    assert s.odd, "s.odd unset with %s on" % ", ".join(on)
    _SEEN.update(on)


def _install():
    from smolnet.socket.tcp import TcpSocket
    if getattr(TcpSocket.dispatch, "odd_checked", False):
        return
    dispatch = TcpSocket.dispatch
    poll_at = TcpSocket.poll_at

    def checked_dispatch(s, iface, now):
        _check(s)
        r = dispatch(s, iface, now)
        _check(s)                # what it leaves for the next call
        return r

    def checked_poll_at(s, now):
        _check(s)
        return poll_at(s, now)

    checked_dispatch.odd_checked = True
    TcpSocket.dispatch = checked_dispatch
    TcpSocket.poll_at = checked_poll_at


def pytest_runtest_setup(item):
    _install()


def pytest_sessionfinish(session):
    path = os.environ.get("SMOLNET_ODD_SEEN")
    if path:
        with open(path, "w") as f:
            f.write("".join(n + "\n" for n in sorted(_SEEN)))
