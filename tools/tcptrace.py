"""A time-sequence graph of one TCP transfer from a pcap, as tcptrace and
Wireshark's Stevens graph draw it (CPython, host side; matplotlib).

    .venv/bin/python tools/tcptrace.py capture.pcap [-o graph.png] [--port N]

Reads a classic libpcap file (Ethernet or raw IP, as smolnet's PcapWriter
and tcpdump write them), takes the TCP connection that moves the most
payload (or the one with port N), and draws for its data direction: each
segment's sequence range against time (retransmissions marked), the ACK
line of the other direction and the window it offers (ACK + window, scaled
as its SYN said); below, the RTT samples (a segment's send to the first ACK
that covers it, never for a retransmitted one: Karn's rule). A pcap holds
no sender state: cwnd and RTO are drawn (a third panel) only where the
sender's state is at hand, as demo_capture() records it for make bench.

Prints one summary line: the flow, segments, retransmissions, bytes, the
median RTT.
"""
import struct
import sys


def read_pcap(path):
    """[(time_s, frame_bytes, linktype)]."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError("%s: not a classic pcap file" % path)
    frac = 1e-9 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1e-6
    linktype = struct.unpack(e + "I", data[20:24])[0]
    out = []
    p = 24
    while p + 16 <= len(data):
        sec, sub, incl, _ = struct.unpack(e + "IIII", data[p:p + 16])
        p += 16
        out.append((sec + sub * frac, data[p:p + incl], linktype))
        p += incl
    return out


def tcp_segments(frames):
    """[(t, src, sport, dst, dport, seq, ack, flags, win, payload_len, opts)]."""
    segs = []
    for t, fr, lt in frames:
        off = 14 if lt == 1 else 0
        if lt == 1:
            if len(fr) < 14 or fr[12:14] not in (b"\x08\x00", b"\x86\xdd"):
                continue
        if len(fr) < off + 20:
            continue
        v = fr[off] >> 4
        if v == 4:
            ihl = (fr[off] & 15) * 4
            if fr[off + 9] != 6:
                continue
            total = struct.unpack(">H", fr[off + 2:off + 4])[0]
            src, dst = fr[off + 12:off + 16], fr[off + 16:off + 20]
            l4, end = off + ihl, off + total
        elif v == 6:
            if fr[off + 6] != 6:       # no extension headers followed
                continue
            src, dst = fr[off + 8:off + 24], fr[off + 24:off + 40]
            l4 = off + 40
            end = l4 + struct.unpack(">H", fr[off + 4:off + 6])[0]
        else:
            continue
        if end > len(fr) or l4 + 20 > end:
            continue
        sport, dport, seq, ack, hl_flags, win = struct.unpack(">HHIIHH", fr[l4:l4 + 16])
        hl = (hl_flags >> 12) * 4
        segs.append((t, bytes(src), sport, bytes(dst), dport, seq, ack, hl_flags & 0x3F, win,
                     end - l4 - hl, bytes(fr[l4 + 20:l4 + hl])))
    return segs


def _wscale(opts):
    i = 0
    while i < len(opts):
        k = opts[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            break
        if k == 3 and opts[i + 1] == 3:
            return opts[i + 2]
        i += opts[i + 1]
    return 0


def _fmt(addr):
    if len(addr) == 4:
        return ".".join(str(b) for b in addr)
    return ":".join("%x" % struct.unpack(">H", addr[i:i + 2])[0] for i in range(0, 16, 2))


def analyse(segs, port=None):
    """The data direction of the busiest connection (or port's): a dict
    with the series the graph draws and the summary's numbers."""
    bytes_by = {}
    for s in segs:
        if port is not None and port not in (s[2], s[4]):
            continue
        k = (s[1], s[2], s[3], s[4])
        bytes_by[k] = bytes_by.get(k, 0) + s[9]
    if not bytes_by:
        raise ValueError("no TCP data in the capture")
    fwd = max(bytes_by, key=bytes_by.get)
    rev = (fwd[2], fwd[3], fwd[0], fwd[1])
    isn = None
    scale = 0
    for s in segs:
        k = (s[1], s[2], s[3], s[4])
        if k == fwd and s[7] & 0x02:
            isn = s[5]
        if k == rev and s[7] & 0x02:
            scale = _wscale(s[10])
    data, retrans, acks, wins, rtts = [], [], [], [], []
    t0 = segs[0][0]
    high = None
    pending = {}            # end seq -> send time (first transmissions only)
    for s in segs:
        k = (s[1], s[2], s[3], s[4])
        t = s[0] - t0
        if k == fwd and s[9] > 0:
            if isn is None:
                isn = s[5] - 1
            a = (s[5] - isn - 1) & 0xFFFFFFFF
            b = a + s[9]
            if high is not None and a < high:
                retrans.append((t, a, b))
                pending = {e: ts for e, ts in pending.items() if e <= a}
            else:
                data.append((t, a, b))
                pending[b] = t
            high = b if high is None or b > high else high
        elif k == rev and s[7] & 0x10 and isn is not None:
            a = (s[6] - isn - 1) & 0xFFFFFFFF
            if a > 0x7FFFFFFF:
                continue        # an ACK of our SYN only
            acks.append((t, a))
            wins.append((t, a + (s[8] << scale)))
            for e in sorted(e for e in pending if e <= a):
                rtts.append((t, (t - pending.pop(e)) * 1000))
    rt = sorted(r for _, r in rtts)
    return {"flow": "%s:%d -> %s:%d" % (_fmt(fwd[0]), fwd[1], _fmt(fwd[2]), fwd[3]),
            "t0_ms": t0 * 1000,
            "data": data, "retrans": retrans, "acks": acks, "wins": wins, "rtts": rtts,
            "bytes": high or 0, "segments": len(data) + len(retrans),
            "rtt_median_ms": rt[len(rt) // 2] if rt else None}


def draw(a, path, title=None, state=None):
    """The graph into path (PNG). state: [(ms, cwnd, rto_ms)] of the sender,
    from inside the process (demo_capture), drawn in a third panel."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    if state:
        fig, (top, bot, third) = plt.subplots(3, 1, figsize=(10, 9), sharex=True,
                                              gridspec_kw={"height_ratios": [3, 1, 1]})
    else:
        fig, (top, bot) = plt.subplots(2, 1, figsize=(10, 7), sharex=True,
                                       gridspec_kw={"height_ratios": [3, 1]})
    top.vlines([t for t, _, _ in a["data"]], [x / 1e3 for _, x, _ in a["data"]],
               [y / 1e3 for _, _, y in a["data"]], colors="black", linewidth=1, label="data")
    if a["retrans"]:
        top.vlines([t for t, _, _ in a["retrans"]], [x / 1e3 for _, x, _ in a["retrans"]],
                   [y / 1e3 for _, _, y in a["retrans"]], colors="red", linewidth=2,
                   label="retransmission")
        top.plot([t for t, _, _ in a["retrans"]], [y / 1e3 for _, _, y in a["retrans"]], "rx")
    if a["acks"]:
        top.step([t for t, _ in a["acks"]], [x / 1e3 for _, x in a["acks"]], where="post",
                 color="tab:green", label="ACK")
        top.step([t for t, _ in a["wins"]], [x / 1e3 for _, x in a["wins"]], where="post",
                 color="tab:olive", linestyle="--", label="ACK + window")
    top.set_ylabel("sequence (KB from the ISN)")
    top.legend(loc="upper left")
    top.set_title(title or "time-sequence graph: %s" % a["flow"])
    if a["rtts"]:
        bot.plot([t for t, _ in a["rtts"]], [r for _, r in a["rtts"]], ".", color="tab:blue")
    bot.set_ylabel("RTT sample (ms)")
    if state:
        t0 = a["t0_ms"]
        state = [x for x in state if x[0] >= t0]      # from the first frame on
        ts = [(ms - t0) / 1000.0 for ms, _, _ in state]
        third.plot(ts, [c / 1e3 for _, c, _ in state], color="tab:purple", label="cwnd (KB)")
        rto = third.twinx()
        rto.plot(ts, [r for _, _, r in state], color="tab:orange", label="RTO (ms)")
        third.set_ylabel("cwnd (KB)")
        rto.set_ylabel("RTO (ms)")
        third.legend(loc="upper left")
        rto.legend(loc="upper right")
        third.set_xlabel("time (s)")
    else:
        bot.set_xlabel("time (s)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def summary(a):
    rtt = "-" if a["rtt_median_ms"] is None else "%.2f ms" % a["rtt_median_ms"]
    return "%s: %d segments, %d retransmissions, %d bytes, median RTT %s" % (
        a["flow"], a["segments"], len(a["retrans"]), a["bytes"], rtt)


def demo_capture(path, size=400000, drop=2, seed=5, sender_state=None):
    """A capture to draw: size bytes over TCP between two smolnet Interfaces
    in this process (a Loopback pair, smolnet's FaultInjector dropping drop%
    of the frames each way), written by PcapWriter at the sender, 1 ms of
    fake time per poll round. Returns the sender's (segments, retransmits);
    sender_state (a list) gets (ms, cwnd, RTO ms) every round, what no pcap
    holds."""
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if root not in sys.path:
        sys.path.insert(0, root)
    import smolnet  # noqa: F401  (the CPython shim)
    from smolnet.phy.loopback import Loopback
    from smolnet.phy.fault import FaultInjector
    from smolnet.phy.pcap import PcapWriter
    from smolnet.iface.interface import Interface
    from smolnet.socket.tcp import TcpSocket
    from smolnet.wire import ipaddr
    now = [0]

    def clock():
        return now[0]

    da, db = Loopback.pair(slots=64)
    da = FaultInjector(da, drop_chance=drop, seed=seed, clock=clock)
    db = FaultInjector(db, drop_chance=drop, seed=seed + 1, clock=clock)
    w = PcapWriter(da, path, clock)
    a, b = Interface(w), Interface(db)
    a.add_ip("192.0.2.1/24")
    b.add_ip("192.0.2.2/24")
    tx = a.add_socket(TcpSocket(16384, 16384))
    rx = b.add_socket(TcpSocket(16384, 16384))
    rx.listen(5001)
    tx.connect(ipaddr.parse4("192.0.2.2"), 5001)
    data = bytes(i % 251 for i in range(4096))
    buf = bytearray(8192)
    sent = got = 0
    state = []                      # (ms, cwnd bytes, RTO ms) of the sender
    while got < size and now[0] < 600000:
        state.append((now[0], tx.cwnd(), tx.rto_ms()))
        if tx.may_send() and sent < size:
            sent += tx.send(data, 0, min(len(data), size - sent))
        a.poll(now[0])
        b.poll(now[0])
        n = rx.recv_into(buf, 0, len(buf))
        got += n if n > 0 else 0
        now[0] += 1
    for _ in range(300):            # the last ACKs (a delayed one) reach the capture
        a.poll(now[0])
        b.poll(now[0])
        now[0] += 1
    w.flush()
    w.stream.close()
    if sender_state is not None:
        sender_state.extend(state)
    return tx.tx_segments, tx.retransmits


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    path, out, port = argv[0], None, None
    i = 1
    while i < len(argv):
        if argv[i] == "-o" and i + 1 < len(argv):
            out = argv[i + 1]
        elif argv[i] == "--port" and i + 1 < len(argv):
            port = int(argv[i + 1])
        else:
            sys.stderr.write("tcptrace.py: unknown argument %s\n" % argv[i])
            return 2
        i += 2
    a = analyse(tcp_segments(read_pcap(path)), port)
    out = out or path.rsplit(".", 1)[0] + ".png"
    draw(a, out)
    print(summary(a))
    print("graph: %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
