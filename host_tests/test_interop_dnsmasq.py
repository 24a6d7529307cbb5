"""smolnet's DHCPv4 client and DNS resolver against dnsmasq in a namespace:
tools/dhcp.py (MicroPython unix port, AF_PACKET on veth-s) gets a lease and
answers the kernel's ping at the leased address, renews it with dnsmasq,
starts over after dnsmasq NAKs a renewal; tools/dig.py resolves dnsmasq's
host records (A, AAAA, a CNAME, a name that does not exist), with a static
address or one from DHCP. Every pcap is validated by tshark.

CPython pytest, root only (see host_tests/netns.py); not a portable module.
dnsmasq runs inside the test's namespace with its files in the test's
directory, and is ended by its PID.
"""
import re
import time

import pytest

from netns import (tool_cmd, counters, pcap_errors, pcap_fields,
                   kernel_ping, assert_all_answered, KERNEL_IF, KERNEL_IP, SMOLNET_IF)

RANGE = "192.0.2.50,192.0.2.99,255.255.255.0,1h"
BOUND = re.compile(r"^bound: address=(\S+)/(\d+) router=(\S+) dns=(\S+) lease=(\d+) "
                   r"t1=(\d+) t2=(\d+) server=(\S+)$", re.M)


def start_dnsmasq(ns, dhcp_range=RANGE, extra=(), name="dnsmasq"):
    """dnsmasq serving DHCP on KERNEL_IF and DNS for *.example only (no
    upstream, no /etc/hosts): smolnet.example has an A and an AAAA record,
    alias.example is a CNAME for it, anything else is NXDOMAIN."""
    args = ["dnsmasq", "--no-daemon", "--conf-file=/dev/null",
            "--interface=" + ns.kernel_if, "--bind-interfaces",
            "--dhcp-range=" + dhcp_range, "--dhcp-option=3," + KERNEL_IP,
            "--host-record=smolnet.example,192.0.2.77,2001:db8::77",
            "--cname=alias.example,smolnet.example",
            "--no-resolv", "--no-hosts", "--local=/example/",
            "--pid-file=" + ns.path(name + ".pid"),
            "--dhcp-leasefile=" + ns.path(name + ".leases"),
            "--log-dhcp", "--log-queries"] + list(extra)
    p = ns.spawn(name, args)
    p.wait_for_output("DHCP, sockets bound exclusively to interface " + ns.kernel_if)
    return p


def start_dhcp(ns, *extra, pcap="dhcp.pcap"):
    args = ["--iface", SMOLNET_IF, "--pcap", ns.path(pcap)] + [str(a) for a in extra]
    return ns.spawn("dhcp", tool_cmd("dhcp", args))


def wait_count(proc, text, n, timeout):
    """Wait until text appears n times in proc's output."""
    deadline = time.monotonic() + timeout
    while True:
        out = proc.output()
        if out.count(text) >= n:
            return out
        if time.monotonic() > deadline or not proc.running():
            raise AssertionError("%r not seen %d times:\n%s" % (text, n, out))
        time.sleep(0.05)


def bound_lines(text):
    return BOUND.findall(text)


def assert_clean_pcap(ns, name):
    problems = pcap_errors(ns.path(name))
    assert problems == [], "tshark found problems in %s: %s" % (name, problems)


def dhcp_messages(ns, name):
    """(ip.src, ip.dst, DHCP message type) of every DHCP frame in a pcap."""
    rows = pcap_fields(ns.path(name), ["ip.src", "ip.dst", "dhcp.option.dhcp"], "dhcp")
    return [tuple(r) for r in rows]


def kernel_ping_fresh(ns, addr, count):
    # dnsmasq probes an address before offering it; the probe leaves a
    # FAILED neighbor entry that would fail the first ping at once
    ns.run("ip", "neigh", "flush", "dev", KERNEL_IF, check=False)
    return kernel_ping(ns, addr, count)


@pytest.mark.root
def test_dhcp_lease_then_kernel_pings_the_leased_address(netns):
    ns = netns
    dm = start_dnsmasq(ns)
    p = start_dhcp(ns, "--hostname", "smolboard")
    out = p.wait_for_output("ips: ", timeout=30)
    b = bound_lines(out)
    assert len(b) == 1, out
    addr, plen, router, dns, lease, t1, t2, server = b[0]
    assert re.match(r"^192\.0\.2\.(5\d|[6-9]\d)$", addr), out
    assert (plen, router, dns, server) == ("24", KERNEL_IP, KERNEL_IP, KERNEL_IP), out
    assert (lease, t1, t2) == ("3600", "1800", "3150"), out
    assert "ips: %s/24 routes: [('0.0.0.0/0', '%s')]" % (addr, KERNEL_IP) in out, out
    assert_all_answered(kernel_ping_fresh(ns, addr, 5), 5)
    out = ns.stop(p)
    c = counters(out, "dhcp")
    assert c["changed"] == 1 and c["naks"] == 0 and c["rx_malformed"] == 0, out
    assert c["tx"] == 2, out                                  # DISCOVER, REQUEST
    assert counters(out, "iface")["icmp_echo_replies"] >= 5, out
    ns.stop(dm)
    with open(ns.path("dnsmasq.leases")) as f:
        leases = f.read()
    assert re.search(r" 02:00:00:00:00:05 %s smolboard " % re.escape(addr), leases), leases
    assert_clean_pcap(ns, "dhcp.pcap")
    msgs = dhcp_messages(ns, "dhcp.pcap")
    assert msgs == [("0.0.0.0", "255.255.255.255", "1"), (KERNEL_IP, "255.255.255.255", "2"),
                    ("0.0.0.0", "255.255.255.255", "3"), (KERNEL_IP, "255.255.255.255", "5")], msgs
    # what dnsmasq saw: our options, the broadcast flag honoured
    log = dm.output()
    assert "DHCPDISCOVER(%s) 02:00:00:00:00:05" % KERNEL_IF in log, log
    assert "DHCPACK(%s) %s 02:00:00:00:00:05 smolboard" % (KERNEL_IF, addr) in log, log
    assert "requested options: 1:netmask, 3:router, 6:dns-server, 51:lease-time" in log, log
    assert "broadcast response" in log, log


@pytest.mark.root
def test_dhcp_renews_unicast_with_dnsmasq(netns):
    # --max-lease 8: T1 at 4 s, T2 at 7 s of dnsmasq's hour
    ns = netns
    start_dnsmasq(ns)
    p = start_dhcp(ns, "--max-lease", 8)
    out = wait_count(p, "renewed:", 2, timeout=30)
    addr = bound_lines(out)[0][0]
    assert_all_answered(kernel_ping_fresh(ns, addr, 3), 3)
    out = ns.stop(p)
    renewed = re.findall(r"^renewed: address=(\S+)/24 .* lease=8 t1=4 t2=7 ", out, re.M)
    assert len(renewed) >= 2 and set(renewed) == {addr}, out
    assert "rebinding" not in out and "lost:" not in out, out
    c = counters(out, "dhcp")
    assert c["changed"] == 1 and c["naks"] == 0, out
    assert_clean_pcap(ns, "dhcp.pcap")
    msgs = dhcp_messages(ns, "dhcp.pcap")
    # after the first exchange: REQUEST unicast from the lease, ACK to it
    assert msgs[4:8] == [(addr, KERNEL_IP, "3"), (KERNEL_IP, addr, "5")] * 2, msgs
    rows = pcap_fields(ns.path("dhcp.pcap"), ["dhcp.ip.client", "dhcp.flags.bc"],
                       "dhcp.option.dhcp == 3 && ip.src != 0.0.0.0")
    assert rows and all(r == [addr, "0"] for r in rows), rows   # ciaddr, no broadcast flag


@pytest.mark.root
def test_dhcp_nak_on_renewal_starts_over(netns):
    # dnsmasq comes back with another range and authoritative: it NAKs the
    # renewal, smolnet drops the address and gets one from the new range
    ns = netns
    dm = start_dnsmasq(ns)
    p = start_dhcp(ns, "--max-lease", 8)
    out = p.wait_for_output("ips: ", timeout=30)
    first = bound_lines(out)[0][0]
    ns.stop(dm)
    start_dnsmasq(ns, dhcp_range="192.0.2.150,192.0.2.199,255.255.255.0,1h",
                  extra=["--dhcp-authoritative"], name="dnsmasq2")
    out = p.wait_for_output("lost: address=%s/24" % first, timeout=30)
    out = p.wait_for_output("bound: address=192.0.2.1", timeout=30)
    second = bound_lines(out)[-1][0]
    assert re.match(r"^192\.0\.2\.1[5-9]\d$", second), out
    assert_all_answered(kernel_ping_fresh(ns, second, 3), 3)
    out = ns.stop(p)
    c = counters(out, "dhcp")
    assert c["naks"] == 1 and c["changed"] == 3, out
    msgs = dhcp_messages(ns, "dhcp.pcap")
    assert (KERNEL_IP, first, "6") in msgs or (KERNEL_IP, "255.255.255.255", "6") in msgs, msgs
    assert_clean_pcap(ns, "dhcp.pcap")


def dig(ns, *args, timeout=30):
    a = ["--iface", SMOLNET_IF, "--pcap", ns.path("dig.pcap")] + [str(x) for x in args]
    r = ns.run(*tool_cmd("dig", a), check=False, timeout=timeout)
    return r.returncode, r.stdout


@pytest.mark.root
def test_dig_resolves_dnsmasq_records(netns):
    ns = netns
    dm = start_dnsmasq(ns)
    code, out = dig(ns, "--ip", "192.0.2.3/24", "--server", KERNEL_IP,
                    "smolnet.example", "alias.example", "SMOLNET.Example", "nope.example")
    assert code == 1, out                                     # one name failed
    lines = [ln for ln in out.splitlines() if " A " in ln]
    assert lines == ["smolnet.example A 192.0.2.77", "alias.example A 192.0.2.77",
                     "SMOLNET.Example A 192.0.2.77", "nope.example A error: no such name"], out
    c = counters(out, "dns")
    assert c == {"tx": 4, "rx_malformed": 0, "rx_ignored": 0}, out
    assert_clean_pcap(ns, "dig.pcap")
    code, out = dig(ns, "--ip", "192.0.2.3/24", "--server", KERNEL_IP, "-t", "AAAA",
                    "smolnet.example", "alias.example")
    assert code == 0, out
    assert "smolnet.example AAAA 2001:db8::77" in out and \
        "alias.example AAAA 2001:db8::77" in out, out
    log = ns.stop(dm)
    assert "query[A] smolnet.example from 192.0.2.3" in log, log
    assert "query[AAAA] alias.example from 192.0.2.3" in log, log


@pytest.mark.root
def test_dig_after_dhcp_uses_the_leased_server(netns):
    ns = netns
    start_dnsmasq(ns)
    code, out = dig(ns, "--dhcp", "alias.example")
    assert code == 0, out
    m = re.search(r"^dhcp: address=192\.0\.2\.\d+/24 router=192\.0\.2\.1 dns=192\.0\.2\.1 ",
                  out, re.M)
    assert m, out
    assert "alias.example A 192.0.2.77" in out, out
    assert_clean_pcap(ns, "dig.pcap")


@pytest.mark.root
def test_dig_with_no_server_answering_times_out(netns):
    # nobody at 192.0.2.53: ARP unanswered, then the query's time runs out
    ns = netns
    code, out = dig(ns, "--ip", "192.0.2.3/24", "--server", "192.0.2.53", "--timeout", 4,
                    "smolnet.example")
    assert code == 1, out
    assert "smolnet.example A error: timed out" in out, out
    assert counters(out, "iface")["arp_requests"] >= 2, out


NIC_DHCP_SCRIPT = """
import sys, time
sys.path.insert(0, ROOT)
import smolnet.compat.socket as socket
from smolnet.compat import network
from smolnet.phy.afpacket import AfPacket
nic = network.LAN(AfPacket(IFACE))
nic.active(True)
nic.ipconfig(dhcp4=True)
t0 = time.ticks_ms()
while not nic.isconnected():
    if time.ticks_diff(time.ticks_ms(), t0) > 20000:
        print("no lease"); sys.exit(1)
    time.sleep_ms(10)
print("addr4", nic.ipconfig("addr4"), "gw4", nic.ipconfig("gw4"), "dns", network.ipconfig("dns"))
print("dhcp4", nic.ipconfig("dhcp4"), nic.ipconfig("has_dhcp4"), nic.status())
print("resolved", socket.getaddrinfo("alias.example", 80)[0][-1])
try:
    socket.getaddrinfo("nope.example", 80)
except OSError as e:
    print("nope", e.args[0])
"""


@pytest.mark.root
def test_network_lan_dhcp_and_getaddrinfo_by_name(netns):
    # the drop-in layer end to end: network.LAN's DHCP gets a lease from
    # dnsmasq (isconnected() polling loop, as on a port), and getaddrinfo
    # resolves names through the lease's DNS server
    ns = netns
    start_dnsmasq(ns)
    from netns import micropython, ROOT
    script = NIC_DHCP_SCRIPT.replace("ROOT", repr(ROOT)).replace("IFACE", repr(SMOLNET_IF))
    r = ns.run(micropython(), "-c", script, check=False, timeout=60)
    out = r.stdout
    assert r.returncode == 0, out
    m = re.search(r"addr4 \('(192\.0\.2\.\d+)', '255\.255\.255\.0'\) gw4 192\.0\.2\.1 dns 192\.0\.2\.1", out)
    assert m, out
    assert 50 <= int(m.group(1).split(".")[-1]) <= 99, out
    assert "dhcp4 True True 3" in out, out
    assert "resolved ('192.0.2.77', 80)" in out, out
    assert "nope -2" in out, out


NIC_STATIC_SCRIPT = """
import sys
sys.path.insert(0, ROOT)
import smolnet.compat.socket as socket
from smolnet.compat import network
from smolnet.phy.afpacket import AfPacket
nic = network.LAN(AfPacket(IFACE))
nic.active(True)
nic.ifconfig(("192.0.2.3", "255.255.255.0", "192.0.2.1", SERVER))
print("ifconfig", nic.ifconfig())
print("resolved", socket.getaddrinfo(b"alias.example", 80)[0][-1])
"""


@pytest.mark.root
def test_network_lan_static_ifconfig_applies_the_dns_server(netns):
    # issue 12 item 3: the 4-tuple's DNS server is the resolver's from then
    # on (it was stored and never used: names did not resolve)
    ns = netns
    start_dnsmasq(ns)
    from netns import micropython, ROOT
    script = NIC_STATIC_SCRIPT.replace("ROOT", repr(ROOT)).replace("IFACE", repr(SMOLNET_IF))
    script = script.replace("SERVER", repr(KERNEL_IP))
    r = ns.run(micropython(), "-c", script, check=False, timeout=60)
    out = r.stdout
    assert r.returncode == 0, out
    assert "ifconfig ('192.0.2.3', '255.255.255.0', '192.0.2.1', '%s')" % KERNEL_IP in out, out
    assert "resolved ('192.0.2.77', 80)" in out, out
