# NAME.local from other hosts, for the socket module's getaddrinfo(): a
# one-shot multicast DNS query (RFC 6762 5.1). The answering side is
# smolnet/apps/mdns.py (this lives in compat/ so that compat/_inet.py, which
# calls it, imports nothing outside the socket/compat packages).
from micropython import const
from ..socket.udp import UdpSocket
from ..wire import dns
from ..wire import ipaddr

# copy of smolnet/apps/mdns.py's PORT (inlined here; test_const_copies.py checks)
PORT = const(5353)
GROUP = "224.0.0.251"        # as apps/mdns.py's: importing it would tie apps/ into compat/


def resolve(net, name, port, timeout_ms=2000):
    """NAME.local's IPv4 address (text) by a one-shot mDNS query (RFC 6762
    5.1: sent to 224.0.0.251:5353 from `port`, an ephemeral one, answered by
    unicast with our ID), running the compat Net `net` while it waits.
    OSError(-2) (as getaddrinfo's) when nobody answers in timeout_ms.
    Allocates: a socket and buffers per call."""
    from ..rand import entropy_seed
    iface = net.iface
    q = UdpSocket(rx_slots=2, rx_bytes=1024, tx_slots=1, tx_bytes=512)
    q.bind(port)
    iface.add_socket(q)
    try:
        b = name.encode() if isinstance(name, str) else bytes(name)
        qname = bytearray(256)
        qlen = dns.encode_name(qname, 0, b, len(b))
        if qlen < 0:
            raise OSError(-2)
        ident = entropy_seed() & 0xFFFF
        msg = bytearray(dns.HEADER_LEN + qlen + 4)
        n = dns.emit_query(msg, 0, ident, qname, 0, qlen, dns.TYPE_A)
        msg[2] = 0                     # no recursion desired in mDNS (18.6)
        q.send_to(msg, n, ipaddr.parse4(GROUP), PORT)
        buf = bytearray(1024)
        out = bytearray(4)
        found = []

        def answered():
            while True:
                k = q.recv_into(buf)
                if k < 0:
                    return False
                if q.peer_port == PORT and k >= dns.HEADER_LEN and dns.ident(buf, 0) == ident \
                        and dns.answers(buf, 0, k, qname, 0, qlen, dns.TYPE_A, out, 0, 1) > 0:
                    found.append(ipaddr.fmt(out))
                    return True

        net.wait(answered, timeout_ms)
        if not found:
            raise OSError(-2)
        return found[0]
    finally:
        q.close()
        iface.remove_socket(q)
