# A tcpdump(8) of sorts on smolnet's frame summaries, in the manner of
# smoltcp's examples/tcpdump.rs.
#
#   micropython tools/tcpdump.py --iface veth-s [-c 10] [--pcap f.pcap]
#
# Prints one line per frame seen on the interface (AF_PACKET sees frames in
# both directions), seconds since the start first; --pcap writes them too.
# Takes no address: it only listens. Stops after -c N frames, --duration S
# or Ctrl-C.
import sys
import common
from common import say, ticks_ms, ticks_diff
from smolnet.phy.pcap import MODE_RX
from smolnet.phy.device import MEDIUM_ETHERNET
from smolnet.wire.summary import frame_summary


def options():
    p = common.Options("tcpdump.py", "Print a summary line for every frame on an interface.")
    common.add_link_options(p, want_ip=False)
    p.add("-c", "count", int, 0, "stop after N frames (0: until Ctrl-C)", "N")
    p.add("--duration", "duration", float, 0, "stop after this many seconds (0: never)", "S")
    return p


def main(argv):
    opts = options().parse(argv)
    if opts.tap:
        common.fail("tcpdump.py", "listen on an existing interface with --iface IF")
    common.install_sigterm()
    # the pcap records what the sniffer receives (it sends nothing)
    link = common.Link(opts, "tcpdump.py", pcap_mode=MODE_RX)
    dev = link.dev
    buf = bytearray(dev.mtu if dev.mtu > 1514 else 1514)
    eth = dev.medium == MEDIUM_ETHERNET
    loop = common.Loop(None, link)
    say("listening on %s" % link.name)
    start = ticks_ms()
    frames = 0
    dur_ms = int(opts.duration * 1000)
    try:
        while not opts.count or frames < opts.count:
            n = dev.recv_into(buf)
            now = ticks_ms()
            if n > 0:
                frames += 1
                t = ticks_diff(now, start)
                say("%d.%03d %s" % (t // 1000, t % 1000, frame_summary(buf, n, eth)))
                continue
            if dur_ms and ticks_diff(now, start) >= dur_ms:
                break
            loop.wait(200 if not dur_ms else min(200, dur_ms - ticks_diff(now, start) + 1))
            link.flush()
    except KeyboardInterrupt:
        pass
    say("%d frames captured" % frames)
    for line in link.counters():
        say(line)
    link.close()


if __name__ == "__main__":
    main(sys.argv[1:])
