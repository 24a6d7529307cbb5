# IPv4 routes: longest-prefix match over a small fixed table. On-link
# prefixes come from the interface's own addresses; this table holds the
# routes through gateways (a default route is 0.0.0.0/0).
from ..fast import copy
from ..wire import ipaddr
from .neighbor import moved


class Routes:
    def __init__(self, size, neighbors=None):
        self.size = size
        # the Interface's NeighborCache: a route that changes may change a
        # destination's next hop, so its generation moves (neighbor.py)
        self.neighbors = neighbors
        self.count = 0
        self.nets = bytearray(4 * size)
        self.plens = bytearray(size)
        self.gws = bytearray(4 * size)

    def add(self, cidr, gateway):
        """Route cidr ('198.51.100.0/24', or '0.0.0.0/0') through gateway."""
        net, plen = ipaddr.parse_cidr4(cidr)
        gw = ipaddr.parse4(gateway) if isinstance(gateway, str) else gateway
        self.remove(cidr)
        if self.count == self.size:
            raise OSError(12)  # ENOMEM: the table is full (Config.routes)
        i = self.count
        copy(self.nets, 4 * i, net, 0, 4)
        self.plens[i] = plen
        copy(self.gws, 4 * i, gw, 0, 4)
        self.count += 1
        self._moved()

    def _moved(self):
        if self.neighbors is not None:
            moved(self.neighbors)

    def add_default(self, gateway):
        self.add("0.0.0.0/0", gateway)

    def remove(self, cidr):
        net, plen = ipaddr.parse_cidr4(cidr)
        for i in range(self.count):
            if self.plens[i] == plen and ipaddr.same_prefix(self.nets, 4 * i, net, 0, 32):
                last = self.count - 1
                copy(self.nets, 4 * i, self.nets, 4 * last, 4)
                copy(self.gws, 4 * i, self.gws, 4 * last, 4)
                self.plens[i] = self.plens[last]
                self.count = last
                self._moved()
                return True
        return False

    def remove_via(self, cidr, gateway):
        """Remove cidr only if it goes through gateway (bytes or str): for a
        client (DHCP) taking back the route it added, not one the user put
        in its place."""
        net, plen = ipaddr.parse_cidr4(cidr)
        gw = ipaddr.parse4(gateway) if isinstance(gateway, str) else gateway
        for i in range(self.count):
            if self.plens[i] == plen and ipaddr.same_prefix(self.nets, 4 * i, net, 0, 32) \
                    and ipaddr.same_prefix(self.gws, 4 * i, gw, 0, 32):
                return self.remove(cidr)
        return False

    def clear(self):
        self.count = 0
        self._moved()

    def lookup(self, dst, doff):
        """Offset in self.gws of the gateway for dst, or -1 if unroutable."""
        best = -1
        best_len = -1
        for i in range(self.count):
            p = self.plens[i]
            if p > best_len and ipaddr.same_prefix(dst, doff, self.nets, 4 * i, p):
                best, best_len = i, p
        return 4 * best if best >= 0 else -1

    def entries(self):
        return [("%s/%d" % (ipaddr.fmt4(self.nets, 4 * i), self.plens[i]),
                 ipaddr.fmt4(self.gws, 4 * i)) for i in range(self.count)]
