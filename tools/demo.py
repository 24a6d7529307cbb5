# `make demo`: smolnet meets the Linux kernel.
#
#   python3 tools/demo.py              as root: a network namespace with a veth
#                                      pair; smolnet (tools/server.py on the
#                                      MicroPython unix port, AF_PACKET) on one
#                                      end, the kernel on the other
#   python3 tools/demo.py --loopback   the same conversation between two
#                                      smolnet interfaces on a Loopback pair
#   micropython tools/demo.py          (what the non-root fallback runs)
#
# The namespace part runs on CPython (it drives ip, ping, socat, tshark); the
# Loopback part runs on MicroPython or CPython, in one process. Addresses are
# from 192.0.2.0/24 (documentation); the namespace has no route out and is
# deleted at the end, also on failure or Ctrl-C.
import sys
import common
from common import say, ticks_ms, ticks_diff

SERVER_IP = "192.0.2.2"
PEER_IP = "192.0.2.1"
RULE = "-" * 72
# what the namespace version needs (tshark is optional: it checks the pcap)
DEMO_TOOLS = {"ip": "iproute2", "ping": "iputils-ping", "socat": "socat"}


def step(n, title):
    say("")
    say("[%d] %s" % (n, title))


def indent(text, prefix="    ", limit=12):
    lines = [x for x in text.splitlines() if x.strip()]
    if len(lines) > limit:
        lines = lines[:limit - 1] + ["... (%d more lines)" % (len(lines) - limit + 1)]
    for x in lines:
        say(prefix + x)


# --- the Linux kernel as the peer (CPython, root) ---------------------------
def kernel_demo():
    import os
    sys.path.insert(0, os.path.join(common._root, "host_tests"))
    import netns
    from netns import Netns, SMOLNET_IF, KERNEL_IF

    netns.check_host(DEMO_TOOLS)
    mp = netns.micropython()
    failed = []
    with Netns() as ns:
        pcap = ns.path("smolnet.pcap")
        step(1, "A network namespace with a veth pair")
        say("    namespace %s" % ns.name)
        say("    %-7s Linux kernel   %s/24, 2001:db8::1/64" % (KERNEL_IF, PEER_IP))
        say("    %-7s smolnet        %s/24, 02:00:00:00:00:01 (no kernel address)"
            % (SMOLNET_IF, SERVER_IP))

        step(2, "Start smolnet: tools/server.py on the MicroPython unix port (AF_PACKET)")
        server = netns.start_server(ns, "--pcap", pcap, pcap=None)
        say("    %s" % mp)
        indent(server.output(), limit=3)

        step(3, "The kernel pings smolnet (ping -c 5 -s 1000)")
        r = ns.run("ping", "-c", 5, "-i", 0.1, "-s", 1000, "-w", 5, SERVER_IP, check=False)
        indent(r.stdout)
        if " 5 received" not in r.stdout:
            failed.append("the kernel's ping")
        r = ns.run("ip", "neigh", "show", "dev", KERNEL_IF, check=False)
        say("    the kernel's ARP table: %s" % (r.stdout.strip() or "(empty)"))

        step(4, "The kernel talks UDP to smolnet's port 6969 (socat)")
        r = ns.run("socat", "-t", 0.5, "-T", 2, "-", "UDP:%s:6969" % SERVER_IP,
                   input="hello smolnet\n", check=False)
        say("    sent 'hello smolnet', got %r" % r.stdout)
        if r.stdout != "hello\n":
            failed.append("UDP 6969")

        step(5, "UDP to a closed port (19): smolnet answers ICMP port unreachable")
        r = ns.run("socat", "-t", 0.5, "-T", 2, "-", "UDP:%s:19" % SERVER_IP, input="x\n",
                   check=False)
        msg = r.stdout.strip().split(": ")[-1] if r.stdout.strip() else "(no error)"
        say("    socat: %s" % msg)
        if "Connection refused" not in msg:
            failed.append("port unreachable")

        step(6, "smolnet pings the kernel (tools/ping.py, a second smolnet interface)")
        r = ns.run(*netns.tool_cmd("ping", ["--iface", SMOLNET_IF, "--ip", "192.0.2.3/24",
                                            "-c", "3", "-i", "0.1", PEER_IP]), check=False)
        if r.returncode != 0 or " 3 received" not in r.stdout:
            failed.append("tools/ping.py")
        indent("\n".join([x for x in r.stdout.splitlines()
                          if not x.startswith(("iface:", "device:", "pcap:"))]))

        step(7, "Stop the server (SIGINT): its counters")
        out = ns.stop(server)
        indent("\n".join(out.splitlines()[out.splitlines().index("stopped") + 1:]
                         if "stopped" in out.splitlines() else out.splitlines()[-6:]))

        step(8, "What smolnet's pcap holds (tshark, checksums checked)")
        import shutil
        if shutil.which("tshark"):
            rows = netns.pcap_fields(pcap, ["frame.number"])
            problems = netns.pcap_errors(pcap)
            import subprocess
            # the kernel's IPv6 chatter on the link is left out of the listing
            r = subprocess.run(["tshark", "-r", pcap, "-Y", "not ipv6"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            indent(r.stdout, limit=30)
            say("    %d frames, %s" % (len(rows), "no errors" if not problems
                                       else "PROBLEMS: %s" % problems))
            if problems:
                failed.append("pcap")
        else:
            say("    (tshark not installed: `make setup`)")
        say("")
        say("Cleaning up: deleting namespace %s." % ns.name)
    say("")
    if failed:
        say("Something went wrong: %s." % ", ".join(failed))
        return 1
    say("Everything was answered.")
    return 0


# --- two smolnet interfaces on a Loopback pair (any runtime) ----------------
def loopback_demo():
    from smolnet.phy.loopback import Loopback
    from smolnet.phy.pcap import PcapWriter
    from smolnet.iface.interface import Interface
    from smolnet.socket.udp import UdpSocket
    from smolnet.wire import ipaddr
    import server as server_tool
    import ping as ping_tool

    a_dev, b_dev = Loopback.pair(mac_a=b"\x02\x00\x00\x00\x00\x01",
                                 mac_b=b"\x02\x00\x00\x00\x00\x02")
    pcap_path = "/tmp/smolnet-demo-loopback.pcap"
    try:
        b_dev = PcapWriter(b_dev, pcap_path, common._epoch_ms)
    except OSError:
        pcap_path = None
    srv = Interface(a_dev)
    srv.add_ip(SERVER_IP + "/24")
    peer = Interface(b_dev)
    peer.add_ip(PEER_IP + "/24")
    services = [cls(srv, port) for kind, port, cls in server_tool.SERVICES]

    def answered(p):
        p.receive(False)
        return p.outstanding() == 0

    def run_until(done, ms=2000):
        start = ticks_ms()
        while not done() and ticks_diff(ticks_ms(), start) < ms:
            now = ticks_ms()
            srv.poll(now)
            for s in services:
                s.serve(now)
            peer.poll(now)
        return done()

    step(1, "Two smolnet interfaces on a Loopback pair (%s)" % sys.implementation.name)
    say("    server  %s/24  %s  (runs tools/server.py's services)" % (
        SERVER_IP, common.fmt_mac(srv.mac)))
    say("    peer    %s/24  %s  (plays the kernel's part)" % (PEER_IP, common.fmt_mac(peer.mac)))

    step(2, "The peer pings the server 5 times (1000 bytes)")
    pinger = ping_tool.Pinger(peer, ipaddr.parse4(SERVER_IP), 1000, 0x5EED)
    t = ticks_ms()
    for i in range(5):
        pinger.send()
        run_until(lambda: answered(pinger))
    pinger.summary(SERVER_IP, ticks_diff(ticks_ms(), t))

    step(3, "The peer sends a UDP datagram to the server's port 6969")
    u = UdpSocket()
    u.bind(40000)
    peer.add_socket(u)
    u.sendto(b"hello smolnet\n", (SERVER_IP, 6969))
    run_until(u.can_recv)
    got = u.recvfrom()
    say("    sent 'hello smolnet', got %r from %s:%d" % (
        got[0] if got else None, got[1][0] if got else "-", got[1][1] if got else 0))

    step(4, "UDP to a closed port (19): the server answers ICMP port unreachable")
    u.sendto(b"x\n", (SERVER_IP, 19))
    run_until(lambda: peer.stats.icmp_errors_received > 0)
    say("    server: icmp_errors_sent=%d; peer: icmp_errors_received=%d" % (
        srv.stats.icmp_errors_sent, peer.stats.icmp_errors_received))

    step(5, "The server's side pings the peer (the other direction)")
    back = ping_tool.Pinger(srv, ipaddr.parse4(PEER_IP), 56, 0xBEEF)
    t = ticks_ms()
    for i in range(3):
        back.send()
        run_until(lambda: answered(back))
    back.summary(PEER_IP, ticks_diff(ticks_ms(), t))

    step(6, "Counters")
    say("    server " + common.stats_line(srv))
    for s in services:
        say("    server " + s.counters())
    say("    peer   " + common.stats_line(peer))
    if pcap_path:
        b_dev.close()
        say("")
        say("The peer's frames are in %s (open it with Wireshark)." % pcap_path)
    ok = (pinger.received == 5 and back.received == 3 and got is not None
          and got[0] == b"hello\n" and peer.stats.icmp_errors_received == 1)
    say("")
    say("Loopback conversation: %s" % ("all answered" if ok else "SOMETHING WAS LOST"))
    return 0 if ok else 1


# --- choosing ------------------------------------------------------------------
def main(argv):
    if "-h" in argv or "--help" in argv:
        say("usage: demo.py [--loopback]   (see the comment at the top)")
        return 0
    if common.MICROPYTHON or "--loopback" in argv:
        return loopback_demo()
    import os
    import subprocess
    say(RULE)
    say("smolnet demo: a TCP/IP stack in MicroPython, talking to the Linux kernel")
    say(RULE)
    reason = None
    if os.geteuid() != 0:
        reason = "not root: network namespaces and AF_PACKET need root"
    else:
        sys.path.insert(0, os.path.join(common._root, "host_tests"))
        import netns
        try:
            netns.check_host(DEMO_TOOLS)
            netns.micropython()
        except netns.NetnsError as e:
            reason = str(e)
    if reason is None:
        try:
            return kernel_demo()
        except KeyboardInterrupt:
            say("interrupted; namespace deleted")
            return 130
        except netns.NetnsError as e:
            say("")
            say("demo failed: %s" % e)
            return 1
    say("")
    say("Cannot run smolnet against the kernel here (%s)." % reason)
    say("Running the same conversation between two smolnet interfaces on a Loopback pair.")
    mp = None
    try:
        sys.path.insert(0, os.path.join(common._root, "host_tests"))
        import netns
        mp = netns.micropython()
    except Exception:
        mp = None
    if mp:
        say("(on the MicroPython unix port: %s)" % mp)
        sys.stdout.flush()
        try:
            return subprocess.call([mp, os.path.join(common._root, "tools", "demo.py")])
        except OSError as e:
            say("(cannot run it: %s; on CPython instead)" % e)
    else:
        say("(no MicroPython unix port found: on CPython; `make setup` installs it)")
    return loopback_demo()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
