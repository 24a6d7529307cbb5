# A minimal ICMPv6 echo socket for the IPv6 tests (smolnet's IcmpSocket
# speaks ICMPv4 types): one request in flight, one reply kept. Follows the
# Interface's socket contract with proto 58 and allocates nothing after
# construction, so the allocation test can use it under heap_lock.
from smolnet.fast import copy

_ECHO_REQUEST = 128
_ECHO_REPLY = 129


class Ping6:
    proto = 58

    def __init__(self, ident, size=1500):
        self.ident = ident
        self.out = bytearray(size)
        self.out_len = 0
        self.dst = bytearray(16)
        self.src = None          # bound source address (16 bytes) or None
        self.reply = bytearray(size)
        self.reply_len = -1
        self.reply_from = bytearray(16)
        self.reply_hops = 0
        self.waiting = 0         # dispatches that met an unresolved neighbor
        self.no_route = 0
        self.too_big = 0

    def send_echo(self, dst, seq, payload, n):
        o = self.out
        o[0] = _ECHO_REQUEST
        o[1] = 0
        o[2] = 0
        o[3] = 0
        o[4] = self.ident >> 8
        o[5] = self.ident & 0xFF
        o[6] = (seq >> 8) & 0xFF
        o[7] = seq & 0xFF
        copy(o, 8, payload, 0, n)
        copy(self.dst, 0, dst, 0, 16)
        self.out_len = 8 + n
        self.due_at = -2     # the Interface's next poll sends it (its socket contract)

    def take(self):
        """Length of the reply received (ICMPv6 header included), or -1;
        forgets it."""
        n = self.reply_len
        self.reply_len = -1
        return n

    def accepts(self, iface, l4):
        b = iface.rx_buf
        if b[l4] != _ECHO_REPLY:
            return 0
        return 2 if ((b[l4 + 4] << 8) | b[l4 + 5]) == self.ident else 0

    def process(self, iface, l4, n, now):
        b = iface.rx_buf
        copy(self.reply, 0, b, l4, n)
        self.reply_len = n
        copy(self.reply_from, 0, b, iface.rx_src_off, 16)
        self.reply_hops = b[iface.rx_ip_off + 7]

    def dispatch(self, iface, now):
        if not self.out_len:
            return False
        off = iface.tx_begin(self.dst, 0, 16, self.src, 0, now)
        if off == -1:
            self.waiting += 1
            return False
        if off < 0:
            self.no_route += 1
            self.out_len = 0
            return True
        n = self.out_len
        self.out_len = 0
        if n > iface.tx_room:
            self.too_big += 1
            return True
        copy(iface.tx_buf, off, self.out, 0, n)
        iface.tx_finish(58, n)
        return True

    def poll_at(self, now):
        return 0 if self.out_len else -1
