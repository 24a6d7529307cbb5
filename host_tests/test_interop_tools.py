"""smolnet's host tools against the Linux kernel in a namespace: tools/ping.py
pinging the kernel, tools/tcpdump.py watching the veth, the fault options of
tools/server.py, a server killed without warning, and the same conversation
on CPython (AF_PACKET and TAP). Every pcap is validated by tshark.

CPython pytest, root only (see host_tests/netns.py); not a portable module.
"""
import re
import signal
import sys

import pytest

from netns import (start_server, tool_cmd, link_args,
                   counters, pcap_errors, pcap_fields, kernel_ping, assert_all_answered,
                   KERNEL_IF, KERNEL_IP, SMOLNET_IF, SMOLNET_IP)


def ping_kernel(ns, python=None, count=10, size=56, extra=()):
    """tools/ping.py from SMOLNET_IP to the kernel; (exit code, output)."""
    args = link_args(ns) + ["--ip", SMOLNET_IP + "/24", "-c", count, "-i", 0.01,
                            "-s", size, "-W", 1, "--pcap", ns.path("ping.pcap")]
    r = ns.run(*tool_cmd("ping", [str(a) for a in args] + list(extra) + [KERNEL_IP], python),
               check=False, timeout=30)
    return r.returncode, r.stdout


def assert_clean_pcap(ns, name):
    problems = pcap_errors(ns.path(name))
    assert problems == [], "tshark found problems in %s: %s" % (name, problems)


@pytest.mark.root
def test_smolnet_ping_pings_the_kernel(netns):
    ns = netns
    for size in (56, 1472):
        code, out = ping_kernel(ns, count=20, size=size)
        assert code == 0, out
        assert "20 packets transmitted, 20 received, 0% packet loss" in out, out
        replies = re.findall(r"^(\d+) bytes from 192\.0\.2\.1: icmp_seq=(\d+) time=[\d.]+ ms$",
                             out, re.M)
        assert [int(s) for n, s in replies] == list(range(1, 21)), out
        assert all(int(n) == size + 8 for n, s in replies), out
        assert re.search(r"^rtt min/avg/max/mdev = [\d.]+/[\d.]+/[\d.]+/[\d.]+ ms$", out, re.M)
        assert_clean_pcap(ns, "ping.pcap")
        rows = pcap_fields(ns.path("ping.pcap"), ["ip.src", "icmp.type", "ip.len"], "icmp")
        assert rows.count([SMOLNET_IP, "8", str(size + 28)]) == 20, rows
        assert rows.count([KERNEL_IP, "0", str(size + 28)]) == 20, rows


@pytest.mark.root
def test_smolnet_ping_reports_loss(netns):
    # nobody at 192.0.2.9: ARP goes unanswered, every request is lost
    ns = netns
    args = ["--iface", SMOLNET_IF, "--ip", SMOLNET_IP + "/24", "-c", "3", "-i", "0.01",
            "-W", "0.3", "192.0.2.9"]
    r = ns.run(*tool_cmd("ping", args), check=False, timeout=30)
    assert r.returncode == 1, r.stdout
    assert "3 packets transmitted, 0 received, 100% packet loss" in r.stdout, r.stdout
    assert counters(r.stdout, "iface")["arp_requests"] >= 1, r.stdout


@pytest.mark.root
def test_tcpdump_sees_the_conversation(netns):
    ns = netns
    server = start_server(ns, pcap=None)
    # one stops by itself after 4 frames, one after a second with a pcap
    four = ns.spawn("dump4", tool_cmd("tcpdump", ["--iface", SMOLNET_IF, "-c", "4"]))
    timed = ns.spawn("dump", tool_cmd("tcpdump", ["--iface", SMOLNET_IF, "--duration", "1",
                                                  "--pcap", ns.path("dump.pcap")]))
    four.wait_for_output("listening")
    timed.wait_for_output("listening")
    assert_all_answered(kernel_ping(ns, SMOLNET_IP, 3), 3)
    out4 = ns.wait(four, timeout=5)
    out = ns.wait(timed, timeout=5)
    ns.stop(server)
    assert "4 frames captured" in out4, out4
    assert "ARP, Request who-has 192.0.2.2 tell 192.0.2.1" in out, out
    assert "ARP, Reply 192.0.2.2 is-at 02:00:00:00:00:01" in out, out
    for seq in (1, 2, 3):
        assert re.search(r"IP 192\.0\.2\.1 > 192\.0\.2\.2: ICMP echo request, id \d+, seq %d, "
                         r"length 64" % seq, out), out
        assert re.search(r"IP 192\.0\.2\.2 > 192\.0\.2\.1: ICMP echo reply, id \d+, seq %d, "
                         r"length 64" % seq, out), out
    lines = [x for x in out.splitlines() if re.match(r"^\d+\.\d{3} ", x)]
    n = int(re.search(r"^(\d+) frames captured", out, re.M).group(1))
    assert n == len(lines) >= 8, out
    assert counters(out, "pcap")["frames"] == n, out
    assert_clean_pcap(ns, "dump.pcap")
    assert len(pcap_fields(ns.path("dump.pcap"), ["frame.number"], "icmp")) == 6


@pytest.mark.root
def test_server_fault_options(netns):
    ns = netns
    # --size-limit: big frames vanish, small ones pass
    server = start_server(ns, "--size-limit", "600")
    small = kernel_ping(ns, SMOLNET_IP, 5, 56)
    big = ns.run("ping", "-c", 5, "-i", 0.01, "-s", 1000, "-W", 0.3, SMOLNET_IP, check=False)
    out = ns.stop(server)
    assert_all_answered(small, 5)
    assert "0 received, 100% packet loss" in big.stdout, big.stdout
    assert counters(out, "fault")["dropped"] == 5, out
    assert counters(out, "iface")["icmp_echo_replies"] == small.transmitted, out
    assert_clean_pcap(ns, "server.pcap")
    # --drop-chance 30, seeded: some of 40 requests or replies are lost. A
    # static neighbor entry keeps a lost ARP exchange from stalling the kernel
    ns.run("ip", "neigh", "replace", SMOLNET_IP, "lladdr", "02:00:00:00:00:01",
           "dev", KERNEL_IF, "nud", "permanent")
    server = start_server(ns, "--drop-chance", "30", "--seed", "7", pcap="drop.pcap",
                          name="server2")
    r = ns.run("ping", "-c", 40, "-i", 0.01, "-W", 0.3, SMOLNET_IP, check=False)
    out = ns.stop(server)
    got = int(re.search(r"(\d+) received", r.stdout).group(1))
    dropped = counters(out, "fault")["dropped"]
    assert 5 <= got <= 38 and dropped >= 2, (r.stdout, out)
    # every frame the Interface saw or sent is in the pcap (it sits above the
    # fault injector); the replies lost on the way out are there too
    replies = counters(out, "iface")["icmp_echo_replies"]
    assert got <= replies <= 40, (r.stdout, out)
    assert_clean_pcap(ns, "drop.pcap")
    assert len(pcap_fields(ns.path("drop.pcap"), ["frame.number"],
                           "icmp.type == 0")) == replies
    # --tx-rate-limit 3 per second: of 10 quick replies 3 leave (6 if the
    # shaping window turns over meanwhile), the others are dropped
    server = start_server(ns, "--tx-rate-limit", "3", "--shaping-interval", "1000",
                          pcap="rate.pcap", name="server3")
    r = ns.run("ping", "-c", 10, "-i", 0.01, "-W", 0.3, SMOLNET_IP, check=False)
    out = ns.stop(server)
    got = int(re.search(r"(\d+) received", r.stdout).group(1))
    assert got in (3, 6), (r.stdout, out)
    assert counters(out, "iface")["icmp_echo_replies"] == 10, out
    assert counters(out, "fault")["dropped"] == 10 - got, out
    assert_clean_pcap(ns, "rate.pcap")


@pytest.mark.root
def test_server_killed_leaves_a_valid_pcap(netns):
    # MicroPython has no signal module: SIGTERM ends the server on the spot.
    # The pcap is written frame by frame, and --stats printed the counters.
    ns = netns
    server = start_server(ns, "--stats", "0.2")
    p = kernel_ping(ns, SMOLNET_IP, 10)
    assert_all_answered(p, 10)
    server.wait_for_output("icmp_echo_replies=%d" % p.transmitted, timeout=5)
    out = ns.stop(server, sig=signal.SIGKILL)
    assert "stopped" not in out
    assert counters(out, "iface")["icmp_echo_replies"] == p.transmitted, out
    assert_clean_pcap(ns, "server.pcap")
    assert len(pcap_fields(ns.path("server.pcap"), ["frame.number"], "icmp")) == 2 * p.transmitted


@pytest.mark.root
def test_server_duration_option(netns):
    ns = netns
    server = start_server(ns, "--duration", "0.3")
    out = ns.wait(server, timeout=5)
    assert server.returncode == 0 and "stopped" in out, out
    assert "iface: rx_frames=" in out, out


def conversation(ns, python):
    """The kernel pings the server and talks UDP to it, then ping.py pings
    the kernel; all on one interpreter and link (AF_PACKET or TAP)."""
    server = start_server(ns, python=python)
    sent = 0
    for size in (56, 1472):
        p = kernel_ping(ns, SMOLNET_IP, 5, size)
        assert_all_answered(p, 5)
        sent += p.transmitted
    r = ns.run("socat", "-t", 0.5, "-T", 2, "-", "UDP:%s:6969" % SMOLNET_IP, input="hi\n",
               check=False)
    assert r.stdout == "hello\n", r.stdout
    r = ns.run("socat", "-t", 0.5, "-T", 2, "-", "UDP:%s:19" % SMOLNET_IP, input="x\n",
               check=False)
    assert "Connection refused" in r.stdout, r.stdout
    # SIGTERM: on CPython the tools end as on Ctrl-C (counters, pcap closed)
    out = ns.stop(server, sig=signal.SIGTERM)
    assert server.returncode == 0 and "stopped" in out, out
    st = counters(out, "iface")
    assert st["icmp_echo_replies"] == sent and st["icmp_errors_sent"] == 1, out
    assert counters(out, "udp6969")["replies"] == 1, out
    assert_clean_pcap(ns, "server.pcap")
    code, out = ping_kernel(ns, python=python, count=10)
    assert code == 0 and "10 packets transmitted, 10 received, 0% packet loss" in out, out
    assert_clean_pcap(ns, "ping.pcap")


@pytest.mark.root
def test_conversation_cpython_afpacket(netns):
    conversation(netns, sys.executable)


@pytest.mark.root
def test_conversation_cpython_tap(netns_tap):
    conversation(netns_tap, sys.executable)


def test_tools_reject_bad_options():
    # option errors are reported before any device is opened: no root needed
    import subprocess
    from netns import micropython
    for python in (sys.executable, micropython()):
        for args, msg in ((["--bogus"], "unknown option --bogus"),
                          (["--iface"], "--iface needs a value"),
                          (["--iface", "x", "--tap", "y"], "give one of"),
                          (["--mac", "zz", "--iface", "x"], "bad value for --mac")):
            r = subprocess.run(tool_cmd("server", args, python), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=10)
            assert r.returncode == 2 and msg in r.stdout, (python, args, r.stdout)
        r = subprocess.run(tool_cmd("ping", ["--help"], python), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=10)
        assert r.returncode == 0 and "usage: ping.py [options] ADDRESS" in r.stdout, r.stdout
        assert "--drop-chance PCT" in r.stdout and "-c COUNT" in r.stdout, r.stdout


@pytest.mark.parametrize("python", ["micropython", "cpython"])
def test_ping_usage_errors(python):
    import subprocess
    from netns import micropython
    exe = micropython() if python == "micropython" else sys.executable
    r = subprocess.run(tool_cmd("ping", ["--iface", "lo"], exe), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=10)
    assert r.returncode == 2 and "give one ADDRESS" in r.stdout, r.stdout
    r = subprocess.run(tool_cmd("ping", ["--iface", "lo", "-s", "2000", "192.0.2.1"], exe),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=10)
    assert r.returncode == 2 and "-s must be" in r.stdout, r.stdout
