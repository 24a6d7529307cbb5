# Sizes and knobs for an Interface, in one place so a small board can shrink
# them. Everything the Interface preallocates is sized from here.
#
# A firmware may leave parts of the stack out (firmware/smolnet_files.py
# OPTIONS: the board profile has no IPv6, IPv4 multicast or reassembly
# unless its manifest asks). The defaults of ipv6, multicast_groups and
# reassembly_slots follow what this build has, so Interface() works on
# either; asking for a part the build lacks is a ValueError that says so.


def _have(module):
    # a module of an optional part: importing it is what using it costs anyway
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def _part(value, default, module, name):
    if value is None:
        return default if _have(module) else 0
    if value and not _have(module):
        from . import left_out
        raise ValueError(left_out("Config(%s=%r): " % (name, value), module[8:], _OPTION[name]))
    return value


_OPTION = {"ipv6": "ipv6", "multicast_groups": "multicast", "reassembly_slots": "reassembly"}


class Config:
    def __init__(self, mac=None, addrs=4, routes=4, neighbors=8,
                 neighbor_ttl_ms=60000, neighbor_retry_ms=1000, ttl=64,
                 rx_budget=32, tx_burst=8, icmp_error_burst=10,
                 icmp_error_interval_ms=100, strict=False, ipv6=None, addrs6=4,
                 routes6=4, dad_transmits=0, router_solicitations=0, accept_ra=True,
                 slaac=True, multicast_groups=None, reassembly_slots=None,
                 reassembly_size=4096, reassembly_timeout_ms=30000,
                 reassembly_timeout6_ms=60000, any_ip=False):
        self.mac = mac                      # None: take the device's MAC
        self.addrs = addrs                  # IPv4 addresses the interface can hold
        self.routes = routes                # route table entries
        self.neighbors = neighbors          # ARP cache entries
        self.neighbor_ttl_ms = neighbor_ttl_ms
        # RFC 1122 2.3.2.1: at most one ARP request per second per neighbor
        self.neighbor_retry_ms = neighbor_retry_ms
        self.ttl = ttl                      # RFC 1700 default TTL 64
        self.rx_budget = rx_budget          # frames handled per poll()
        self.tx_burst = tx_burst            # packets one socket may emit per poll()
        # ICMP error rate limit (RFC 1812 4.3.2.8): a token bucket of
        # `burst` messages, one token back per interval
        self.icmp_error_burst = icmp_error_burst
        self.icmp_error_interval_ms = icmp_error_interval_ms
        # strict: re-raise internal errors from poll() instead of counting
        # them (for tests hunting bugs; never on a deployed board)
        self.strict = strict
        # IPv6 (RFC 8200). On: a link-local address from the MAC (RFC 4862
        # 5.3) is there from the start, add_ip takes IPv6 CIDRs, and
        # router advertisements are heard. Off: IPv6 frames are counted as
        # an unknown EtherType and the IPv6 modules are never loaded.
        # Default: on when the build has IPv6.
        self.ipv6 = bool(_part(ipv6, True, "smolnet.iface.ipv6", "ipv6"))
        self.addrs6 = addrs6                # IPv6 addresses, link-local included
        self.routes6 = routes6              # IPv6 routes, RA routers and prefixes
        # Duplicate address detection (RFC 4862 5.4): probes per new
        # address (1 is the RFC's default); 0 uses addresses at once and
        # sends nothing unasked
        self.dad_transmits = dad_transmits
        # router solicitations sent at start-up, 4 s apart (RFC 4861 6.3.7
        # suggests 3); 0 waits for the routers' periodic advertisements
        self.router_solicitations = router_solicitations
        self.accept_ra = accept_ra          # default routers, prefixes, MTU from RAs
        self.slaac = slaac                  # addresses from RA prefixes (RFC 4862 5.5)
        # multicast groups join_multicast() can hold, per address family
        # (IGMP for IPv4, MLD for IPv6); 0 leaves IGMP out (224.0.0.1 and
        # the groups IPv6 needs for itself are always heard). Default: 4
        # when the build has IGMP, else 0
        self.multicast_groups = _part(multicast_groups, 4, "smolnet.iface.igmp",
                                      "multicast_groups")
        # IPv4 fragment reassembly (RFC 791 3.2, RFC 1122 3.3.2): datagrams
        # rebuilt at once, and the largest one counted with a 20-byte header
        # (EMTU_R: at least 576, RFC 1122 3.3.2). Each slot preallocates its
        # size plus a link header. Either 0 turns reassembly off: fragments
        # are then dropped and counted (stats.drop_fragment). With ipv6 on,
        # IPv6 gets as many slots of the same size (RFC 8200 4.5; the
        # packet counted with its 40-byte header and the extension headers
        # before the Fragment header; RFC 8200 5 asks for 1500 at least).
        # Default: 1 when the build has reassembly, else 0.
        self.reassembly_slots = _part(reassembly_slots, 1, "smolnet.iface.reasm4",
                                      "reassembly_slots")
        self.reassembly_size = reassembly_size
        # a datagram still missing pieces this long after its first
        # fragment is dropped (30 s as Linux; RFC 791 3.2 suggests 15 s,
        # RFC 1122 3.3.2 recommends 60-120 s, which a small board pays for
        # in slots held by lost fragments)
        self.reassembly_timeout_ms = reassembly_timeout_ms
        # IPv6's (RFC 8200 4.5: 60 s)
        self.reassembly_timeout6_ms = reassembly_timeout6_ms
        # any-IP (netstack-smoltcp's mode, for a TUN: transparent proxy,
        # VPN client): unicast IPv4/IPv6 packets to every address count as
        # addressed to us, so sockets see the original destination and
        # answer from it. Meant for MEDIUM_IP; on Ethernet ARP/ND still
        # answer only the interface's own addresses.
        self.any_ip = any_ip

    @classmethod
    def board(cls, **kw):
        """The board profile: an Interface for a microcontroller with tens
        of KB of heap, IPv4 only (no IPv6, no IGMP groups, no fragment
        reassembly: none of their modules load). Keyword arguments override
        (Config.board(neighbors=4)). With it, the figure README gives as
        "board profile heap" (cm3_heap_board_profile, tools/bench/
        board_cm3.py): this Interface, four TcpSocket(2048, 2048), two
        UdpSocket(2, 512, 2, 512), Dhcpv4Socket() and DnsSocket(slots=2),
        imports included. UDP sockets keep their defaults (4 slots, 1536
        bytes each way: one full-size datagram on a 1500-byte MTU) unless
        asked; a board that only exchanges small datagrams can pass sizes."""
        kw.setdefault("ipv6", False)
        kw.setdefault("multicast_groups", 0)
        kw.setdefault("reassembly_slots", 0)
        return cls(**kw)
