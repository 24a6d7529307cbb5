# Neighbor Discovery for a host (RFC 4861) and stateless address
# autoconfiguration (RFC 4862) on an Ethernet Interface: answer neighbor
# solicitations, resolve next hops into the shared neighbor cache (one
# request per second per neighbor, the held packet stays with its socket,
# exactly as ARP does), take default routers, on-link prefixes and SLAAC
# addresses from router advertisements, optional duplicate address
# detection and router solicitations, and lifetime expiry. Functions taking
# the Interface; nothing allocates per packet.
#
# Left out: Neighbor Unreachability Detection's STALE/DELAY/PROBE states
# (entries simply expire after Config.neighbor_ttl_ms and are resolved
# again, as ARP's are), redirects, the random delays before DAD and RS,
# reachable-time/retrans-timer updates from RAs. MLD, which reports the
# groups a host hears, is mld.py's; its timers run from poll() and delay()
# here.
from micropython import const
from time import ticks_add, ticks_diff
from ..fast import copy, equal, fill
from ..wire import ethernet, ipv6, icmpv6, ndisc, checksum
from . import mld
from .addr6 import (TENTATIVE, PREFERRED, DEPRECATED, SLAAC, LINK_LOCAL, GONE, TIMER_NONE,
                    TIMER_NOW, deadline)

_HLEN = const(40)
_ND_HOPS = const(255)        # RFC 4861 6.1/7.1: ND messages are never forwarded
# copy of smolnet/wire/ipv6.py's NH_ICMPV6 (_PROTO_ICMPV6 is NH_ICMPV6 there); inlined here
_PROTO_ICMPV6 = const(58)
# copy of smolnet/iface/interface.py's rx_cast value
_CAST_MULTICAST = const(2)
_RS_INTERVAL_MS = const(4000)  # RFC 4861 10: RTR_SOLICITATION_INTERVAL
_TWO_HOURS = const(7200)     # RFC 4862 5.5.3 (e)
_HOUR_MS = const(3600000)


def rx(iface, t, l4, n, now):
    b = iface.rx_buf
    st = iface.stats
    if not iface.link_hlen:
        st.drop_icmp6_unhandled += 1   # no link layer, nothing to discover
        return
    # RFC 4861 6.1.2, 7.1.1, 7.1.2: hop limit 255 proves the sender is on
    # the link; code 0
    if ipv6.hop_limit(b, iface.rx_ip_off) != _ND_HOPS or icmpv6.code(b, l4) != 0:
        st.drop_bad_nd += 1
        return
    if t == icmpv6.TYPE_NEIGHBOR_SOLICIT:
        _rx_ns(iface, l4, n, now)
    elif t == icmpv6.TYPE_NEIGHBOR_ADVERT:
        _rx_na(iface, l4, n, now)
    elif t == icmpv6.TYPE_ROUTER_ADVERT:
        _rx_ra(iface, l4, n, now)
    else:
        # router solicitations are for routers (6.2.6); redirects (8) are
        # not followed here
        st.drop_icmp6_unhandled += 1


# --- neighbor solicitation / advertisement ---------------------------------
def _rx_ns(iface, l4, n, now):
    b = iface.rx_buf
    st = iface.stats
    src = iface.rx_src_off
    tgt = l4 + ndisc.TARGET
    if n < ndisc.NS_LEN or ipv6.is_multicast(b, tgt) or \
            not ndisc.options_valid(b, l4, n, ndisc.NS_LEN):
        st.drop_bad_nd += 1
        return
    sl = ndisc.find_option(b, l4, n, ndisc.NS_LEN, ndisc.OPT_SOURCE_LLA)
    unspec = ipv6.is_unspecified(b, src)
    # 7.1.1: a DAD probe (source ::) goes to a solicited-node group and
    # carries no source link-layer address
    if (sl >= 0 and not ndisc.lla_ok(b, sl)) or \
            (unspec and (sl >= 0 or not ipv6.is_solicited_node(b, iface.rx_dst_off))):
        st.drop_bad_nd += 1
        return
    a = iface.ip6.addrs
    i = a.find(b, tgt)
    if i < 0:
        st.drop_not_for_us += 1
        return
    if a.state[i] == TENTATIVE:
        # RFC 4862 5.4.3: another node's probe for the address we are
        # testing means it is taken (unless it is our own, looped back);
        # an address resolution for it gets no answer
        if unspec and not equal(b, 6, iface.mac, 0, 6):
            _dad_failed(iface, i)
        else:
            st.drop_not_for_us += 1
        return
    if not unspec and sl >= 0:
        # 7.2.3: the solicitor's address goes into the cache
        iface.neighbors.fill(b, src, 16, b, sl + 2, now)
    # 7.2.4: answer from the target address; to all-nodes (S clear) for a
    # DAD probe, else to the solicitor (S set); O set: we are no anycast
    t = iface.tx_buf
    copy(iface.tx_src, 0, b, tgt, 16)
    if unspec:
        ipv6.all_nodes(iface.tx_dst, 0)
        ipv6.multicast_mac(t, 0, iface.tx_dst, 0)
        flags = ndisc.NA_OVERRIDE
    else:
        copy(iface.tx_dst, 0, b, src, 16)
        copy(t, 0, b, sl + 2 if sl >= 0 else 6, 6)
        flags = ndisc.NA_SOLICITED | ndisc.NA_OVERRIDE
    k = ndisc.emit_na(t, iface.link_hlen + _HLEN, flags, b, tgt, iface.mac, 0)
    st.nd_adverts += 1
    _send(iface, k)


def _rx_na(iface, l4, n, now):
    b = iface.rx_buf
    st = iface.stats
    tgt = l4 + ndisc.TARGET
    if n < ndisc.NA_LEN or ipv6.is_multicast(b, tgt) or \
            not ndisc.options_valid(b, l4, n, ndisc.NA_LEN):
        st.drop_bad_nd += 1
        return
    flags = ndisc.na_flags(b, l4)
    tl = ndisc.find_option(b, l4, n, ndisc.NA_LEN, ndisc.OPT_TARGET_LLA)
    # 7.1.2: solicited advertisements are never multicast
    if (iface.rx_cast == _CAST_MULTICAST and flags & ndisc.NA_SOLICITED) or \
            (tl >= 0 and not ndisc.lla_ok(b, tl)):
        st.drop_bad_nd += 1
        return
    a = iface.ip6.addrs
    i = a.find(b, tgt)
    if i >= 0:
        # RFC 4862 5.4.4: someone has the address we are testing; for an
        # address in use, only count it (5.4.4 leaves that to the operator)
        if a.state[i] == TENTATIVE:
            _dad_failed(iface, i)
        else:
            st.dad_conflicts += 1
        return
    nb = iface.neighbors
    j = nb.lookup(b, tgt, 16, now)
    if tl < 0:
        # 7.2.5: without the option only a known entry can be confirmed
        if j >= 0 and flags & ndisc.NA_SOLICITED:
            nb.update(b, tgt, 16, nb.macs, 6 * j, now)
        else:
            st.drop_not_for_us += 1
        return
    # 7.2.5: without Override a known, different address is not replaced
    if j >= 0 and not flags & ndisc.NA_OVERRIDE and not equal(nb.macs, 6 * j, b, tl + 2, 6):
        st.drop_not_for_us += 1
        return
    # 7.2.5: an advertisement nobody asked about creates no entry
    if not nb.update(b, tgt, 16, b, tl + 2, now):
        st.drop_not_for_us += 1


def solicit(iface, nh, nhoff, now):
    """Address resolution (7.2.2): a multicast solicitation for nh to its
    solicited-node group, from iface.tx_src (tx_begin chose it), at most one
    per neighbor per Config.neighbor_retry_ms."""
    if ipv6.is_unspecified(iface.tx_src, 0):
        return  # no usable address: a solicitation from :: would be DAD
    if not iface.neighbors.request_due(nh, nhoff, 16, now):
        return
    t = iface.tx_buf
    ipv6.solicited_node(iface.tx_dst, 0, nh, nhoff)
    ipv6.multicast_mac(t, 0, iface.tx_dst, 0)
    k = ndisc.emit_ns(t, iface.link_hlen + _HLEN, nh, nhoff, iface.mac, 0)
    iface.stats.nd_solicits += 1
    _send(iface, k)


def _send(iface, k):
    """Send the ND message of k bytes in tx_buf; the Ethernet destination
    is in place, tx_src/tx_dst hold the addresses."""
    t = iface.tx_buf
    ip = iface.link_hlen
    copy(t, 6, iface.mac, 0, 6)
    ethernet.set_ethertype(t, 0, ethernet.ETHERTYPE_IPV6)
    ipv6.emit(t, ip, iface.tx_src, 0, iface.tx_dst, 0, _PROTO_ICMPV6, k, _ND_HOPS)
    icmpv6.fill_checksum(t, ip + _HLEN, k,
                         checksum.pseudo6(iface.tx_src, 0, iface.tx_dst, 0, _PROTO_ICMPV6, k))
    iface.send_frame(t, ip + _HLEN + k)


# --- router advertisements (RFC 4861 6.3.4, RFC 4862 5.5.3) -----------------
def _rx_ra(iface, l4, n, now):
    b = iface.rx_buf
    st = iface.stats
    v6 = iface.ip6
    src = iface.rx_src_off
    # 6.1.2: from a link-local address, long enough, sane options
    if n < ndisc.RA_LEN or not ipv6.is_link_local(b, src) or \
            not ndisc.options_valid(b, l4, n, ndisc.RA_LEN):
        st.drop_bad_nd += 1
        return
    sl = ndisc.find_option(b, l4, n, ndisc.RA_LEN, ndisc.OPT_SOURCE_LLA)
    if sl >= 0 and not ndisc.lla_ok(b, sl):
        st.drop_bad_nd += 1
        return
    if not v6.accept_ra:
        st.drop_icmp6_unhandled += 1
        return
    st.ra_received += 1
    v6.rs_left = 0                       # 6.3.7: an answer ends solicitation
    now_s = v6.clock(now)
    h = ndisc.ra_hop_limit(b, l4)
    if h:
        v6.hop_limit = h
    life = ndisc.ra_router_lifetime(b, l4)
    v6.routes.learn_router(b, src, GONE if life == 0 else deadline(now_s, life))
    if sl >= 0:
        iface.neighbors.fill(b, src, 16, b, sl + 2, now)   # 6.3.4: SHOULD record
    end = l4 + n
    p = ndisc.next_option(b, l4 + ndisc.RA_LEN, end, ndisc.OPT_MTU)
    if p >= 0 and ndisc.option_len(b, p) == 8:
        m = ndisc.mtu_option_value(b, p)
        if m >= ipv6.MIN_MTU and m <= iface.ip_mtu:   # 6.3.4: ignore out-of-range
            v6.mtu = m
    p = ndisc.next_option(b, l4 + ndisc.RA_LEN, end, ndisc.OPT_PREFIX_INFO)
    while p >= 0:
        k = ndisc.option_len(b, p)
        if k == 32:
            _prefix_info(iface, b, p, now_s)
        p = ndisc.next_option(b, p + k, end, ndisc.OPT_PREFIX_INFO)
    expire(iface, now)


def _prefix_info(iface, b, p, now_s):
    v6 = iface.ip6
    plen = ndisc.pi_prefix_len(b, p)
    flags = ndisc.pi_flags(b, p)
    valid = ndisc.pi_valid_lifetime(b, p)
    pref = ndisc.pi_preferred_lifetime(b, p)
    pfx = p + ndisc.PI_PREFIX
    # RFC 4861 6.3.4 / RFC 4862 5.5.3 (b): never the link-local prefix
    if ipv6.is_link_local(b, pfx) or plen > 128:
        return
    if flags & ndisc.PI_ON_LINK:
        v6.routes.learn_prefix(b, pfx, plen, GONE if valid == 0 else deadline(now_s, valid))
    if not flags & ndisc.PI_AUTONOMOUS or not v6.slaac:
        return
    # 5.5.3 (c): preferred must not exceed valid; (d): a 64-bit interface
    # identifier (RFC 4291 2.5.1) leaves /64 as the only usable length
    if valid >= 0 and (pref < 0 or pref > valid):
        return
    if plen != 64:
        return
    a = v6.addrs
    i = a.find_slaac(b, pfx)
    if i < 0:
        if valid == 0:
            return
        s = iface.scratch
        copy(s, 0, b, pfx, 8)
        ipv6.interface_id_eui64(s, 8, iface.mac, 0)
        i = v6.add(s, 0, 64, SLAAC)
        if i < 0:
            return       # the table is full (Config.addrs6)
        a.valid_s[i] = deadline(now_s, valid)
    else:
        # 5.5.3 (e): the "two hours" rule keeps a forged RA from cutting an
        # address's life short
        left = a.valid_s[i]
        if left >= 0:
            left -= now_s
        if valid < 0 or valid > _TWO_HOURS or (left >= 0 and valid > left):
            a.valid_s[i] = deadline(now_s, valid)
        elif left < 0 or left > _TWO_HOURS:
            a.valid_s[i] = now_s + _TWO_HOURS
    a.pref_s[i] = deadline(now_s, pref)
    if a.state[i] == DEPRECATED and pref != 0:
        a.state[i] = PREFERRED
    elif a.state[i] == PREFERRED and pref == 0:
        a.state[i] = DEPRECATED


# --- duplicate address detection (RFC 4862 5.4), solicitations, timers ------
def _dad_failed(iface, i):
    """5.4.5: the address is someone else's: stop using it."""
    iface.stats.dad_conflicts += 1
    iface.ip6.addrs.remove_at(i)


def _dad_probe(iface, i):
    a = iface.ip6.addrs
    t = iface.tx_buf
    fill(iface.tx_src, 0, 16, 0)               # 5.4.2: from ::, no source option
    ipv6.solicited_node(iface.tx_dst, 0, a.addrs, 16 * i)
    ipv6.multicast_mac(t, 0, iface.tx_dst, 0)
    k = ndisc.emit_ns(t, iface.link_hlen + _HLEN, a.addrs, 16 * i, None, 0)
    iface.stats.nd_solicits += 1
    _send(iface, k)


def _send_rs(iface):
    """6.3.7: to all-routers, from a link-local address with our MAC, or
    from :: without it."""
    a = iface.ip6.addrs
    t = iface.tx_buf
    ipv6.all_routers(iface.tx_dst, 0)
    ipv6.multicast_mac(t, 0, iface.tx_dst, 0)
    i = -1
    for j in range(a.n):
        if a.origin[j] == LINK_LOCAL and a.state[j] != TENTATIVE:
            i = j
    if i >= 0:
        copy(iface.tx_src, 0, a.addrs, 16 * i, 16)
        k = ndisc.emit_rs(t, iface.link_hlen + _HLEN, iface.mac, 0)
    else:
        fill(iface.tx_src, 0, 16, 0)
        k = ndisc.emit_rs(t, iface.link_hlen + _HLEN, None, 0)
    iface.stats.nd_solicits += 1
    _send(iface, k)


def _ll_tentative(a):
    for j in range(a.n):
        if a.origin[j] == LINK_LOCAL and a.state[j] == TENTATIVE:
            return True
    return False


def _sooner(nxt, at, now):
    if nxt < 0 or ticks_diff(at, now) < ticks_diff(nxt, now):
        return at
    return nxt


def timers(iface, now):
    """DAD probes and their verdicts, router solicitations."""
    v6 = iface.ip6
    a = v6.addrs
    eth = iface.link_hlen != 0
    nxt = -1
    i = 0
    while i < a.n:
        if a.state[i] == TENTATIVE:
            at = a.dad_at[i]
            if at < 0 or ticks_diff(now, at) >= 0:
                if a.dad_left[i] and eth:
                    a.dad_left[i] -= 1
                    _dad_probe(iface, i)
                    at = ticks_add(now, v6.retrans_ms)
                    a.dad_at[i] = at
                else:
                    # 5.4: no answer within RetransTimer: the address is ours
                    a.state[i] = PREFERRED
                    i += 1
                    continue
            nxt = _sooner(nxt, at, now)
        i += 1
    if v6.rs_left > 0:
        if not eth:
            v6.rs_left = 0
        elif _ll_tentative(a):
            pass                    # solicit once the link-local address is ours
        elif v6.rs_at < 0 or ticks_diff(now, v6.rs_at) >= 0:
            _send_rs(iface)
            v6.rs_left -= 1
            v6.rs_at = ticks_add(now, _RS_INTERVAL_MS)
        if v6.rs_left > 0 and v6.rs_at >= 0:
            nxt = _sooner(nxt, v6.rs_at, now)
    v6.timer_at = nxt if nxt >= 0 else TIMER_NONE


def expire(iface, now):
    """Forget routers, prefixes and addresses whose lifetimes ran out;
    deprecate addresses past their preferred lifetime (RFC 4862 5.5.4)."""
    v6 = iface.ip6
    s = v6.clock(now)
    nxt = v6.routes.expire(s)
    a = v6.addrs
    i = 0
    while i < a.n:
        vu = a.valid_s[i]
        if vu >= 0 and vu <= s:
            a.remove_at(i)
            continue
        pu = a.pref_s[i]
        if pu >= 0:
            if pu <= s:
                if a.state[i] == PREFERRED:
                    a.state[i] = DEPRECATED
            elif nxt < 0 or pu < nxt:
                nxt = pu
        if vu >= 0 and (nxt < 0 or vu < nxt):
            nxt = vu
        i += 1
    v6.next_expiry = nxt


def poll(iface, now):
    """The Interface's poll() hook: whatever timers are due, MLD's too
    (first: with Mld.announce_own on, a new address's solicited-node group
    is reported before its DAD probe goes, as RFC 4862 5.4.2 orders)."""
    v6 = iface.ip6
    mld.poll(iface, now)
    t = v6.timer_at
    if t == TIMER_NOW or (t >= 0 and ticks_diff(now, t) >= 0):
        timers(iface, now)
    if v6.next_expiry >= 0 and v6.clock(now) >= v6.next_expiry:
        expire(iface, now)


def delay(iface, now):
    """ms until poll() has IPv6 work, or -1."""
    return _delay(iface, now, False)


def wait(iface, now):
    """ms until poll() has IPv6 work, to the tick (the Interface skips its
    poll() until then): delay()'s, with the lifetimes' deadline exact
    instead of in whole seconds, and 0 while MLD has an address change to
    take in (mld.poll() takes it on every call, announcing it or not)."""
    v6 = iface.ip6
    if v6.mld.addr_gen != v6.addrs.gen:
        return 0
    return _delay(iface, now, True)


def _delay(iface, now, exact):
    v6 = iface.ip6
    t = v6.timer_at
    if t == TIMER_NOW:
        return 0
    d = -1
    if t >= 0:
        d = ticks_diff(t, now)
        if d < 0:
            d = 0
    if v6.next_expiry >= 0:
        ms = v6.expiry_ms(now) if exact else _expiry_s(v6, now)
        if d < 0 or ms < d:
            d = ms
    ms = mld.delay(iface, now)
    if ms >= 0 and (d < 0 or ms < d):
        d = ms
    return d


def _expiry_s(v6, now):
    # in whole seconds (poll_delay()'s, as it always was)
    left = v6.next_expiry - v6.clock(now)
    return 0 if left <= 0 else (_HOUR_MS if left > 3600 else left * 1000)
