# Interface counters: every frame is counted once as received, and every
# frame that goes no further is counted once under the reason it stopped.

NAMES = (
    "rx_frames", "tx_frames", "tx_device_full",
    "drop_short", "drop_not_for_us", "drop_unknown_ethertype",
    "drop_bad_arp", "drop_bad_ip_version", "drop_bad_ip_length",
    "drop_bad_checksum", "drop_bad_src", "drop_fragment",
    "drop_unknown_protocol", "drop_malformed", "drop_no_socket",
    "drop_socket_full", "drop_icmp_broadcast", "drop_internal_error",
    "arp_requests", "arp_replies", "icmp_echo_replies", "icmp_errors_sent",
    "icmp_errors_rate_limited", "icmp_errors_received",
    "tx_neighbor_pending", "tx_no_route",
    # IPv6: ND messages failing RFC 4861's checks, extension headers we
    # cannot pass (RFC 8200 4), ICMPv6 a host has no use for (other nodes'
    # MLDv2 reports, RS, redirects); solicitations (resolution, DAD, RS) and
    # advertisements sent
    "drop_bad_nd", "drop_ext_header", "drop_icmp6_unhandled",
    "nd_solicits", "nd_adverts", "ra_received", "dad_conflicts",
    # multicast membership: queries heard, reports (and leaves) sent, and
    # IGMP / MLD messages failing their RFC's checks
    "igmp_queries", "igmp_reports", "drop_bad_igmp",
    "mld_queries", "mld_reports", "drop_bad_mld",
    # Reassembly (iface/reasm4.py, reasm6.py): datagrams rebuilt and timed out;
    # datagrams dropped for contradicting fragments (overlap, two ends),
    # for exceeding Config.reassembly_size, for want of a slot or of hole
    # bookkeeping (the oldest is evicted); duplicate fragments ignored; and
    # rebuilt echo requests too big to answer without fragmenting the reply.
    # A held fragment is counted once, with its datagram.
    "reasm_ok", "reasm_timeouts", "drop_reasm_overlap", "drop_reasm_too_big",
    "drop_reasm_full", "drop_reasm_duplicate", "drop_too_big_to_answer",
)


class Stats:
    def __init__(self):
        self.reset()

    def reset(self):
        for n in NAMES:
            setattr(self, n, 0)

    def as_dict(self):
        return {n: getattr(self, n) for n in NAMES}

    def drops(self):
        """Total frames dropped, all reasons."""
        t = 0
        for n in NAMES:
            if n.startswith("drop_"):
                t += getattr(self, n)
        return t

    def __repr__(self):
        return "Stats(%s)" % ", ".join(
            "%s=%d" % (n, getattr(self, n)) for n in NAMES if getattr(self, n))
