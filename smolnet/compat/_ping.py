# The raw ICMP socket of smolnet.compat.socket (SOCK_RAW, IPPROTO_ICMP) and of
# repl.ping: loaded only when one is made. The manifest option raw=True
# (firmware/smolnet_files.py), not the board profile: MicroPython's lwIP
# ports leave SOCK_RAW out too (MICROPY_PY_LWIP_SOCK_RAW), and without it
# socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) is OSError(EINVAL), as there.
from micropython import const
from ..socket.icmp import IcmpSocket

_IPPROTO_ICMP = const(1)


class PingSocket(IcmpSocket):
    """IcmpSocket that remembers the TTL of the last reply, so the facade can
    rebuild the IPv4 header lwIP's raw sockets hand to the user (and ping can
    print ttl=)."""

    def __init__(self):
        IcmpSocket.__init__(self)
        self.ttl = 0
        self.local = bytearray(4)

    def process(self, iface, l4_off, l4_len, now):
        b = iface.rx_buf
        self.ttl = b[iface.rx_ip_off + 8]
        for i in range(4):
            self.local[i] = b[iface.rx_dst_off + i]
        IcmpSocket.process(self, iface, l4_off, l4_len, now)

    def recv_with_header(self, bufsize):
        from ..wire import ipv4
        m = bytearray(1536)
        n = self.recv_into(m)
        b = bytearray(20 + n)
        b[20:] = m[:n]
        ipv4.emit(b, 0, self.peer_addr, 0, self.local, 0, _IPPROTO_ICMP, n, self.ttl, 0, False)
        return bytes(b[:bufsize])

    def send_for(self, so, data, a):
        """The socket module's sendto/send/write for socket so (a request
        binds the socket to its identifier: replies carry it)."""
        if len(data) >= 8 and data[0] == 8:
            self.bind((data[4] << 8) | data[5])
            so._iface.add_socket(self)
        so._wait(lambda: self.can_send(len(data)))
        self.send_to(data, len(data), a)
        so._net.poll()
        return len(data)
