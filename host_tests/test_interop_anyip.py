"""Any-IP mode against the Linux kernel: tools/anyip.py (CPython) on a TUN
inside a namespace the test owns, with the documentation prefixes
198.51.100.0/24 and 2001:db8:100::/48 routed into the TUN on the kernel
side. The kernel's clients (Python sockets, curl, ping) reach any address
and port there, and every answer names the original destination and comes
from it. tshark finds no error in the pcap (LINKTYPE_RAW).

CPython, root: needs `ip`, /dev/net/tun, tshark, curl.
"""
import json
import os
import sys

import pytest

from netns import (Netns, NetnsError, TSHARK_CHECKS, _tshark, assert_all_answered,
                   check_host, counters, kernel_ping, pcap_fields, tool_cmd)

TUN_IF = "tun-s"

# runs inside the namespace: the kernel as client
CLIENT = r'''
import json, socket, sys
out = {}
for host, port in (("198.51.100.7", 8080), ("198.51.100.200", 443),
                   ("2001:db8:100::5", 80)):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect((host, port))
    f = s.makefile("rb")
    banner = f.readline()
    s.sendall(b"ping %d\n" % port)
    echo = f.readline()
    s.shutdown(socket.SHUT_WR)
    rest = f.read()
    s.close()
    out["tcp %s %d" % (host, port)] = [banner.decode(), echo.decode(), rest.decode()]
for host, port in (("198.51.100.9", 53), ("2001:db8:100::9", 5300)):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.settimeout(5)
    u.sendto(b"query", (host, port))
    data, frm = u.recvfrom(512)
    out["udp %s %d" % (host, port)] = [data.decode(), frm[0], frm[1]]
print(json.dumps(out))
'''


def _pcap_errors(path):
    """tshark's error-severity expert entries (checksums checked). The
    datagrams to port 53 are not DNS: decoded as plain data."""
    r = _tshark(["-r", path] + TSHARK_CHECKS + ["-d", "udp.port==53,data",
                                                "-Y", "_ws.expert.severity == error"])
    assert r.returncode == 0, r.stderr
    return [line for line in r.stdout.splitlines() if line.strip()]


def _setup(ns):
    for args in (["link", "set", TUN_IF, "up"],
                 ["route", "add", "198.51.100.0/24", "dev", TUN_IF, "src", "192.0.2.1"],
                 ["-6", "route", "add", "2001:db8:100::/48", "dev", TUN_IF,
                  "src", "2001:db8::1"]):
        ns.run("ip", *args)


def test_anyip_tun_kernel(tmp_path):
    try:
        check_host()
    except NetnsError as e:
        pytest.fail(str(e), pytrace=False)
    if not os.path.exists("/dev/net/tun"):
        pytest.fail("no /dev/net/tun: needs the tun module", pytrace=False)
    with Netns(workdir=str(tmp_path)) as ns:
        # the kernel's own addresses (192.0.2.1, 2001:db8::1) are on the
        # veth; the TUN is persistent so routes can point at it
        ns.run("ip", "tuntap", "add", "dev", TUN_IF, "mode", "tun")
        pcap = ns.path("anyip.pcap")
        p = ns.spawn("anyip", tool_cmd("anyip", ["--tun", TUN_IF, "--pcap", pcap],
                                       python=sys.executable))
        p.wait_for_output("ready")
        _setup(ns)
        r = ns.run(sys.executable, "-c", CLIENT, timeout=60)
        got = json.loads(r.stdout.strip().splitlines()[-1])
        for host, port in (("198.51.100.7", 8080), ("198.51.100.200", 443),
                           ("2001:db8:100::5", 80)):
            ep = ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)
            banner, echo, rest = got["tcp %s %d" % (host, port)]
            assert banner == "you reached %s\n" % ep
            assert echo == "ping %d\n" % port
            assert rest == ""
        assert got["udp 198.51.100.9 53"] == ["you reached 198.51.100.9:53\n",
                                              "198.51.100.9", 53]
        data, frm, fport = got["udp 2001:db8:100::9 5300"]
        assert data == "you reached [2001:db8:100::9]:5300\n"
        assert frm == "2001:db8:100::9" and fport == 5300
        # curl: the banner as an HTTP/0.9 answer, from yet another address
        # (the tool echoes until the client closes: curl gives up after 2 s)
        c = ns.run("curl", "-s", "--http0.9", "--max-time", "2",
                   "http://198.51.100.42:8000/", check=False)
        assert "you reached 198.51.100.42:8000" in c.stdout
        # ping: the Interface answers echo requests to any address, from it
        for dst in ("198.51.100.77", "2001:db8:100::77"):
            assert_all_answered(kernel_ping(ns, dst, 3), 3)
        out = ns.stop(p)
    assert "tcp 192.0.2.1:" in out and "-> 198.51.100.7:8080" in out
    assert "-> [2001:db8:100::5]:80" in out
    assert "udp 192.0.2.1:" in out and "-> 198.51.100.9:53 5 bytes" in out
    st = counters(out, "iface")
    assert st.get("drop_bad_checksum", 0) == 0
    assert st.get("drop_internal_error", 0) == 0
    a = counters(out, "anyip")
    assert a["tcp_flows"] == 4 and a["udp_flows"] == 2
    assert _pcap_errors(pcap) == []
    # answers left from the original destinations
    srcs = set(row[0] for row in pcap_fields(pcap, ["ip.src"], "ip.src != 192.0.2.1"))
    assert {"198.51.100.7", "198.51.100.200", "198.51.100.9", "198.51.100.42",
            "198.51.100.77"} <= srcs
