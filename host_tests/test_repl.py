# runtimes: cpython unix wasm
# The REPL helpers on a Loopback pair (the real REPL, driven by mpremote
# against the Linux kernel, is host_tests/test_repl_kernel.py).
from smolnet import repl
from smolnet.compat import socket
from smolnet.socket.udp import UdpSocket
from netpair import NetPair
from support import raises


def _up(keep_note=False):
    p = NetPair()
    lines = []
    repl.set_output(lines.append)
    nic = repl.up(p.a, gw="192.0.2.254", driver=False)
    if not keep_note:
        del lines[1:]              # the note on installing the socket module
    repl.state()[2].also_poll(p.b)
    return p, nic, lines


def _host_socket():
    try:
        import socket as host
    except ImportError:
        return None
    return host


def test_up_prints_and_sets_the_socket_default():
    # issue 12 item 5: on MicroPython up() installs smolnet's socket module
    # (with a note when it replaces the port's own); CPython keeps its own
    import sys
    from smolnet.compat import socket as ours
    before = _host_socket()
    p, nic, lines = _up(keep_note=True)
    assert lines[0] == "Loopback up: 192.0.2.1/24 mac 02:00:00:00:00:01 mtu 1500 gw 192.0.2.254"
    assert socket.current().iface is p.a and nic.isconnected()
    if sys.implementation.name == "micropython":
        import socket as now
        assert now is ours and sys.modules["usocket"] is ours
        note = ["note: `import socket` now gives smolnet's socket module"
                " (modules imported before keep the host's)"]
        assert lines[1:] == (note if before is not None else []), lines
    else:
        assert lines[1:] == [] and _host_socket() is before
    repl.down()
    assert _host_socket() is before               # down() puts it back
    assert raises(OSError, repl.arp).args[0] == 19
    repl.set_output()


def test_ping_prints_like_ping8():
    p, nic, lines = _up()
    del lines[:]
    repl.ping("192.0.2.2", 3, interval_ms=0)
    assert lines[0] == "PING 192.0.2.2 (192.0.2.2) 56(84) bytes of data."
    for i in (1, 2, 3):
        assert lines[i].startswith("64 bytes from 192.0.2.2: icmp_seq=%d ttl=64 time=" % i), lines[i]
        assert lines[i].endswith(" ms")
    assert lines[4] == "--- 192.0.2.2 ping statistics ---"
    assert lines[5].startswith("3 packets transmitted, 3 received, 0% packet loss, time ")
    assert lines[6].startswith("rtt min/avg/max/mdev = ")
    del lines[:]
    repl.ping("192.0.2.77", 1, timeout_ms=30)
    assert lines[1] == "no answer from 192.0.2.77: icmp_seq=1"
    assert lines[3].startswith("1 packets transmitted, 0 received, 100% packet loss")
    assert len(lines) == 4
    repl.down()
    repl.set_output()


def test_arp_netstat_stats_ifconfig():
    p, nic, lines = _up()
    u = p.a.add_socket(UdpSocket())
    u.bind(5353)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x", ("192.0.2.2", 9))
    del lines[:]
    repl.arp()
    assert lines[0].split() == ["Address", "HWaddress", "Age(s)"]
    assert lines[1].split()[:2] == ["192.0.2.2", "02:00:00:00:00:02"]
    del lines[:]
    repl.netstat()
    assert lines[0].split() == ["Proto", "Recv-Q", "Send-Q", "Local", "Address", "Foreign",
                                "Address", "State"]
    rows = [ln.split() for ln in lines[1:]]
    assert ["udp", "0", "0", "0.0.0.0:5353", "0.0.0.0:*"] in rows
    # the NIC's own mDNS responder (network.LAN runs one, as lwIP ports do)
    assert ["udp", "0", "0", "0.0.0.0:5353", "0.0.0.0:*", "MdnsResponder"] in rows
    assert len(rows) == 3
    del lines[:]
    repl.stats()
    d = dict((ln.split()[0], int(ln.split()[1])) for ln in lines)
    assert d["rx_frames"] >= 1 and d["tx_frames"] >= 2 and d["arp_requests"] == 1
    assert "drop_short" not in d
    nic.iface.device.rx_partial_csum = 2       # as AfPacket counts them
    del lines[:]
    repl.stats()
    assert lines[-1] == ("rx_partial_csum            2  (TX checksum offload on at the "
                         "other end: ethtool -K <peer> tx off)"), lines
    del lines[:]
    repl.ifconfig()
    assert lines[0] == "Loopback: UP mtu 1500"
    assert lines[1] == "    inet 192.0.2.1/24"
    del lines[:]
    repl.routes()
    assert lines[1].split() == ["192.0.2.1/24", "on-link"]
    assert lines[2].split() == ["default", "192.0.2.254"]
    s.close()
    repl.down()
    repl.set_output()


def test_netstat_lists_the_dns_client():
    # a DNS server from ifconfig/DHCP puts smolnet's DnsSocket on the
    # Interface: netstat shows it (it raised AttributeError)
    p, nic, lines = _up()
    repl.state()[2].set_dns(["192.0.2.53"])
    del lines[:]
    repl.netstat()
    rows = [ln.split() for ln in lines[1:]]
    dns = [r for r in rows if r[-1] == "DnsSocket"]
    assert len(dns) == 1 and dns[0][:3] == ["udp", "0", "0"], rows
    assert len(rows) == 2 and rows[0][-1] == "MdnsResponder", rows
    repl.down()
    repl.set_output()


def test_mdns_one_liner_answers_the_hostname():
    from smolnet.compat import network
    from smolnet.apps.mdns import READY
    p, nic, lines = _up()
    assert nic.mdns is not None and nic.mdns.name == "smolnet.local"
    r = repl.mdns("replboard")
    assert lines[-1] == "mdns: probing for replboard.local"
    assert r is nic.mdns and r in p.a.sockets
    t = 0
    for _ in range(300):            # the responder's own timers, on a fake clock
        t += 10
        r.serve(t)
    assert r.state == READY and r.name == "replboard.local"
    assert repl.mdns() is r and lines[-1] == "mdns: answering replboard.local"
    network.mdns(False)
    assert nic.mdns is None and r not in p.a.sockets
    repl.down()
