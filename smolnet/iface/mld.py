# Multicast Listener Discovery, the host side: MLDv2 (RFC 3810) with its
# MLDv1 compatibility mode (RFC 3810 8.2.1: RFC 2710 reports and dones
# while an MLDv1 querier is heard). Routers and MLD-snooping switches learn
# from these reports which groups to forward to us.
#
# A fixed table of Config.multicast_groups + Config.addrs6 groups, kept on
# the Ip6State (ip6.mld). A group is there because the user joined it
# (USER, Interface.join_multicast) and/or because it is the solicited-node
# group of one of our addresses (OWN: RFC 4861 7.2.1 makes a node join
# those; Linux reports them too). A group whose flags are 0 is leaving: no
# longer heard, its leave still being announced. Each group has two timers:
# the next state-change report (RFC 3810 6.1) and the answer to a query
# about it (6.2, the "multicast address timer"); one more answers general
# queries (the "interface timer") and one says an MLDv1 querier is present.
#
# We keep no source filters: every group is EXCLUDE {} ("any source"), so
# a join is reported as CHANGE_TO_EXCLUDE {}, a leave as CHANGE_TO_INCLUDE
# {}, and a query answered with MODE_IS_EXCLUDE {}. A multicast-address-
# and-source-specific query is answered like a multicast-address-specific
# one: RFC 3810 6.3 would send IS_IN(the queried sources), but IS_EX {}
# tells the router the same thing it wants to know (every queried source is
# still wanted) without a source list to store.
#
# Never reported (RFC 3810 6): ff02::1, which every node hears, and groups
# of scope 0 or 1; join() refuses them, and solicited-node groups are link
# scope.
#
# Solicited-node groups are reported in answer to queries. Unsolicited
# reports when an address comes or goes (RFC 3810 6.1 "immediately";
# RFC 4862 5.4.2 puts the join before the first DAD probe) wait for
# Mld.announce_own = True: off by default, so that an Interface with the
# default Config sends nothing unasked, as it always has (no DAD, no RS
# either), and the exact start-up frames are unchanged. Until a querier
# asks, a snooping switch may then not forward our solicited-node groups
# to us; a querier asks at start-up and every Query Interval (125 s).
# RFC 4862 5.4.2's random delay of up to MAX_RTR_SOLICITATION_DELAY before
# the first message is left out, as nd.py leaves it out before DAD.
#
# Allocation: join/leave allocate nothing after __init__, groups() builds
# its list; rx(), poll() and delay() allocate nothing.
from micropython import const
from time import ticks_add, ticks_diff
from ..fast import copy, equal, fill
from ..rand import Rand16
from ..wire import ethernet, ipv6, icmpv6, checksum, ipaddr
from ..wire import mld as wmld

# addr6.py imports this module, so this one does not import addr6.py:
# copy of smolnet/iface/addr6.py's TENTATIVE (inlined here; test_const_copies.py checks)
_TENTATIVE = const(1)
_USER = const(1)
_OWN = const(2)
_NONE = const(-1)            # a timer not running
_NOW = const(-2)             # due at the next poll (join() has no clock)
_HLEN = const(40)
_HBH = const(8)              # the Router Alert header (ipv6.emit_router_alert)
# copy of smolnet/wire/ipv6.py's NH_ICMPV6 (_PROTO_ICMPV6 is NH_ICMPV6 there); inlined here
_PROTO_ICMPV6 = const(58)
_FINE_MAX = const(32767)     # _random_ms: one step up to here

_MLDV2_ROUTERS = b"\xff\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x16"
_ALL_ROUTERS = b"\xff\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02"


class Mld:
    def __init__(self, cfg, mac, seed=None):
        n = cfg.multicast_groups + cfg.addrs6
        self.size = n
        self.user_max = cfg.multicast_groups
        self.groups = bytearray(16 * n)
        self.flags = bytearray(n)          # _USER | _OWN; 0: free or leaving
        self.sc_left = bytearray(n)        # state-change reports still to send (6.1)
        self.sc_at = [_NONE] * n           # ... the next at this tick (or _NOW)
        self.q_at = [_NONE] * n            # answer to a query about the group (6.2)
        self.reporter = bytearray(n)       # v1: we sent the last report (RFC 2710 4)
        self.general_at = _NONE            # answer to a general query (6.2 interface timer)
        self.v1_until = _NONE              # Older Version Querier Present (8.2.1)
        # knobs (RFC 3810 9): Robustness Variable and Query Interval follow
        # the last MLDv2 query's QRV and QQIC, as Linux does
        self.robustness = 2                # 9.1
        self.query_interval_ms = 125000    # 9.2
        self.unsolicited_ms = 1000         # 9.11 Unsolicited Report Interval
        self.unsolicited_v1_ms = 10000     # RFC 2710 7.10 (MLDv1 mode)
        self.announce_own = False          # see the top of this file
        self.suppressed = 0                # v1 answers another listener's report made moot
        # random delays: seeded from the MAC, so hosts on a link differ and
        # tests are deterministic (rand.seed() picks another sequence)
        if seed is None:
            seed = 1
            if mac is not None:
                seed = (mac[4] << 8 | mac[5]) | ((((mac[2] << 7) ^ mac[3]) & 0x7FFF) << 16)
        self.rand = Rand16(seed)
        self.timer_at = _NONE              # the earliest timer, _NOW, or _NONE
        self.addr_gen = 0                  # Addrs6.gen the OWN groups follow
        self._l4 = 0                       # the v2 report being filled
        self._nrec = 0

    # --- the API (Interface.join_multicast and friends, through ipv6.py) ---
    def join(self, addr):
        if len(addr) != 16 or not ipv6.is_multicast(addr, 0) or ipv6.is_all_nodes(addr, 0) or \
                ipv6.multicast_scope(addr, 0) <= 1:
            raise OSError(22)  # EINVAL: ff02::1 and scopes 0/1 are never reported
        i = self.find(addr, 0)
        if i >= 0 and self.flags[i] & _USER:
            return False
        if self._user_count() >= self.user_max:
            raise OSError(12)  # ENOMEM: Config.multicast_groups are taken
        if i < 0:
            i = self._slot()
            if i < 0:
                raise OSError(12)
            copy(self.groups, 16 * i, addr, 0, 16)
        f = self.flags[i]
        self.flags[i] = f | _USER
        # a new membership (or a leaving one back) is reported at once,
        # then Robustness - 1 more times (6.1; RFC 2710 4 likewise); an
        # OWN group was reported already if announce_own is on
        if f == 0 or not self.announce_own:
            self._change(i, _NOW)
        return True

    def leave(self, addr):
        i = self.find(addr, 0) if len(addr) == 16 else -1
        if i < 0 or not self.flags[i] & _USER:
            return False
        self.flags[i] &= ~_USER
        if self.flags[i] == 0:
            self._gone(i)
        return True

    def joined_groups(self):
        return [ipaddr.fmt6(self.groups, 16 * i) for i in range(self.size)
                if self.flags[i] & _USER]

    def v1_mode(self):
        """Host Compatibility Mode is MLDv1 (RFC 3810 8.2.1)."""
        return self.v1_until != _NONE

    def listening(self, buf, off):
        """buf[off:off + 16] is a group in the table we hear (hot path)."""
        g = self.groups
        fl = self.flags
        last = buf[off + 15]
        for i in range(self.size):
            if fl[i] and g[16 * i + 15] == last and equal(g, 16 * i, buf, off, 16):
                return True
        return False

    def find(self, buf, off):
        """Index of the group buf[off:off + 16], joined or leaving, or -1."""
        g = self.groups
        for i in range(self.size):
            if (self.flags[i] or self.sc_left[i]) and equal(g, 16 * i, buf, off, 16):
                return i
        return -1

    def _user_count(self):
        k = 0
        for i in range(self.size):
            if self.flags[i] & _USER:
                k += 1
        return k

    def _slot(self):
        # a free slot, else a leaving one (the rest of its repeats are
        # given up); the table has room for every joined group
        # (multicast_groups USER + addrs6 OWN), so one of the two is there
        best = -1
        for i in range(self.size):
            if self.flags[i] == 0:
                if self.sc_left[i] == 0:
                    return i
                best = i
        if best >= 0:
            self.sc_left[best] = 0
        return best

    def _change(self, i, at):
        """A state change of group i to send at tick at (or _NOW): join
        reports while it is joined, leaves once it is not (6.1: the latest
        change replaces a pending one)."""
        self.sc_left[i] = self.robustness
        self.sc_at[i] = at
        self.reporter[i] = 1
        self._wake(at)

    def _gone(self, i):
        # flags just became 0: TO_IN {} Robustness times (6.1); in MLDv1
        # mode one Done, and only if we reported last (RFC 2710 4: else
        # another listener answers the querier's question)
        self.q_at[i] = _NONE
        if not self.v1_mode():
            self._change(i, _NOW)
        elif self.reporter[i]:
            self._change(i, _NOW)
            self.sc_left[i] = 1
        else:
            self.sc_left[i] = 0          # free

    # --- our addresses' solicited-node groups (RFC 4861 7.2.1) -------------
    def sync(self, addrs):
        """Follow the addresses: a new address's group becomes OWN, the
        group of one removed is left when no other address shares it."""
        self.addr_gen = addrs.gen
        a = addrs.addrs
        g = self.groups
        for i in range(self.size):
            if self.flags[i] & _OWN:
                k = 0
                while k < addrs.n and not equal(a, 16 * k + 13, g, 16 * i + 13, 3):
                    k += 1
                if k == addrs.n:
                    self.flags[i] &= ~_OWN
                    if self.flags[i] == 0:
                        if self.announce_own:
                            self._gone(i)
                        else:
                            self.sc_left[i] = 0
                            self.q_at[i] = _NONE
        for k in range(addrs.n):
            i = self._find_own(a, 16 * k)
            if i >= 0 and self.flags[i]:
                self.flags[i] |= _OWN
                continue
            leaving = i >= 0
            if i < 0:
                i = self._slot()
                if i < 0:
                    continue             # cannot happen: the table has room
                ipv6.solicited_node(g, 16 * i, a, 16 * k)
            self.flags[i] = _OWN
            if self.announce_own or leaving:
                # a new group, or a leave being announced undone
                self._change(i, _NOW)
            else:
                self.sc_left[i] = 0

    def _find_own(self, a, aoff):
        """Index of the solicited-node group of the address at a[aoff:], or -1."""
        g = self.groups
        for i in range(self.size):
            if (self.flags[i] or self.sc_left[i]) and ipv6.is_solicited_node_for(g, 16 * i, a,
                                                                                aoff):
                return i
        return -1

    # --- timers -------------------------------------------------------------
    def _random_ms(self, n):
        """0..n ms, n < 2**23; every product stays below 2**30 (a small int
        on 32-bit ports), so long delays are drawn in two parts."""
        r = self.rand.next() >> 1
        if n <= _FINE_MAX:
            return (r * (n + 1)) >> 15
        v = (((r * ((n >> 8) + 1)) >> 15) << 8) | (self.rand.next() & 0xFF)
        return v if v <= n else n

    def _wake(self, at):
        t = self.timer_at
        if t == _NOW:
            return
        if at == _NOW or t == _NONE or ticks_diff(at, t) < 0:
            self.timer_at = at

    def _reschedule(self):
        self.timer_at = _NONE
        if self.general_at != _NONE:
            self._wake(self.general_at)
        if self.v1_until != _NONE:
            self._wake(self.v1_until)
        for i in range(self.size):
            if self.sc_left[i]:
                self._wake(self.sc_at[i])
            if self.q_at[i] != _NONE:
                self._wake(self.q_at[i])

    def _cancel(self):
        # RFC 3810 8.2.1: a change of compatibility mode cancels every
        # pending response and retransmission. Changes not yet sent at all
        # (_NOW: asked for since the last poll) are kept: sent in the new
        # mode they are what a join or leave made after the switch sends.
        self.general_at = _NONE
        for i in range(self.size):
            self.q_at[i] = _NONE
            if self.sc_at[i] != _NOW:
                self.sc_left[i] = 0


def _due(at, now):
    return at == _NOW or (at >= 0 and ticks_diff(now, at) >= 0)


# --- receive --------------------------------------------------------------------
def rx(iface, t, l4, n, now):
    """An MLD message (ICMPv6 130, 131, 132, 143; checksum checked already)."""
    b = iface.rx_buf
    st = iface.stats
    ip = iface.rx_ip_off
    src = iface.rx_src_off
    # RFC 3810 5.1.14, 5.2.13, RFC 2710 3: hop limit 1, a link-local source
    # (a report may come from :: before its sender has one), and a Router
    # Alert in a Hop-by-Hop header
    if ipv6.hop_limit(b, ip) != 1 or b[ip + ipv6.NEXT_HEADER] != ipv6.NH_HOPOPT or \
            ipv6.router_alert(b, ip + _HLEN, ipv6.ext_len(b, ip + _HLEN)) < 0:
        st.drop_bad_mld += 1
        return
    if t == wmld.TYPE_QUERY:
        if not ipv6.is_link_local(b, src):
            st.drop_bad_mld += 1
            return
        _query(iface, b, l4, n, now)
        return
    if not (ipv6.is_link_local(b, src) or ipv6.is_unspecified(b, src)):
        st.drop_bad_mld += 1
        return
    if t == wmld.TYPE_V2_REPORT:
        ok = wmld.report_check(b, l4, n)
    else:
        ok = n >= wmld.V1_LEN
    if not ok:
        st.drop_bad_mld += 1
    elif t != wmld.TYPE_V1_REPORT or not _heard_report(iface.ip6.mld, b, l4):
        # another listener's report or done: routers' business (MLDv2
        # hosts do not suppress, RFC 3810 6.2)
        st.drop_icmp6_unhandled += 1


def _query(iface, b, l4, n, now):
    st = iface.stats
    v6 = iface.ip6
    m = v6.mld
    v = wmld.query_version(b, l4, n)
    general = wmld.group_is_unspecified(b, l4)
    # 8.1: other lengths are ignored; the multicast address is :: or a
    # group; a general query names no sources (5.1.10)
    if v == 0 or not (general or ipv6.is_multicast(b, l4 + wmld.GROUP)) or \
            (v == 2 and general and wmld.num_sources(b, l4)):
        st.drop_bad_mld += 1
        return
    st.mld_queries += 1
    if m.addr_gen != v6.addrs.gen:
        m.sync(v6.addrs)
    code = wmld.max_resp_code(b, l4)
    if v == 1:
        mrd = code                       # RFC 2710 3.4: plain milliseconds
        # 8.2.1, 9.12: Older Version Querier Present Timeout is Robustness
        # times Query Interval plus the Query Response Interval
        was = m.v1_mode()
        m.v1_until = ticks_add(now, m.robustness * m.query_interval_ms + mrd)
        if not was:
            m._cancel()
        m._wake(m.v1_until)
    else:
        mrd = wmld.decode_max_resp(code)
        q = wmld.qrv(b, l4)
        if q:
            m.robustness = q
        q = wmld.decode_qqic(wmld.qqic(b, l4))
        if q:
            m.query_interval_ms = 1000 * q
    i = -1
    if not general:
        i = m.find(b, l4 + wmld.GROUP)
        if i < 0 or not m.flags[i]:
            return  # not a group of ours: nothing to answer
    if m.v1_mode():
        # RFC 2710 4 (a v2 query heard in MLDv1 mode is answered the same
        # way, as Linux does): a random delay per group, a running timer
        # only moved earlier
        if general:
            for k in range(m.size):
                if m.flags[k]:
                    _answer_by(m, k, ticks_add(now, m._random_ms(mrd)))
        else:
            _answer_by(m, i, ticks_add(now, m._random_ms(mrd)))
        return
    due = ticks_add(now, m._random_ms(mrd))
    if m.general_at != _NONE and ticks_diff(m.general_at, due) <= 0:
        return  # 6.2 rule 1: the answer to a general query comes sooner
    if general:
        m.general_at = due  # rule 2: the interface timer, replacing any
        m._wake(due)
    else:
        _answer_by(m, i, due)  # rules 3 and 4 (no source lists kept)


def _answer_by(m, i, due):
    at = m.q_at[i]
    if at == _NONE or ticks_diff(due, at) < 0:
        m.q_at[i] = due
        m._wake(due)


def _heard_report(m, b, l4):
    """Another listener's MLDv1 report (ours never come back: no multicast
    loopback). RFC 2710 4: it reported last now, and in MLDv1 mode our
    pending answer is suppressed. True if it concerned a group of ours."""
    i = m.find(b, l4 + wmld.GROUP)
    if i < 0 or not m.flags[i]:
        return False
    m.reporter[i] = 0
    if m.q_at[i] != _NONE and m.v1_mode():
        m.q_at[i] = _NONE
        m.suppressed += 1
    return True


# --- timers (the Interface's poll through nd.poll) ------------------------------
def poll(iface, now):
    """Whatever is due; cheap when nothing is (called on every poll)."""
    v6 = iface.ip6
    m = v6.mld
    if m.addr_gen != v6.addrs.gen:
        m.sync(v6.addrs)
    t = m.timer_at
    if t == _NONE or (t >= 0 and ticks_diff(now, t) < 0):
        return
    if m.v1_until != _NONE and ticks_diff(now, m.v1_until) >= 0:
        m.v1_until = _NONE               # back to MLDv2 (8.2.1)
        m._cancel()
    if m.v1_mode():
        _run_v1(iface, m, now)
    else:
        _run_v2(iface, m, now)
    m._reschedule()


def delay(iface, now):
    """ms until poll() has MLD work, or -1."""
    v6 = iface.ip6
    m = v6.mld
    if m.announce_own and m.addr_gen != v6.addrs.gen:
        return 0
    t = m.timer_at
    if t == _NONE:
        return -1
    if t == _NOW:
        return 0
    d = ticks_diff(t, now)
    return d if d > 0 else 0


def _sent_change(m, i, now, interval):
    # one report of a state change went out: schedule the next or finish
    left = m.sc_left[i] - 1
    m.sc_left[i] = left
    m.sc_at[i] = ticks_add(now, m._random_ms(interval)) if left else _NONE
    if m.flags[i]:
        m.q_at[i] = _NONE                # it tells the querier what an answer would
        m.reporter[i] = 1


# --- transmit -------------------------------------------------------------------
def _run_v2(iface, m, now):
    # everything due goes in one report (more if it outgrows the MTU)
    gen = m.general_at != _NONE and ticks_diff(now, m.general_at) >= 0
    if gen:
        m.general_at = _NONE
    m._nrec = 0
    for i in range(m.size):
        f = m.flags[i]
        if m.sc_left[i] and _due(m.sc_at[i], now):
            _add_record(iface, m, wmld.CHANGE_TO_EXCLUDE if f else wmld.CHANGE_TO_INCLUDE, i)
            _sent_change(m, i, now, m.unsolicited_ms)
        elif f and (gen or _due(m.q_at[i], now)):
            _add_record(iface, m, wmld.MODE_IS_EXCLUDE, i)
            m.q_at[i] = _NONE
    if m._nrec:
        _flush_v2(iface, m)


def _add_record(iface, m, rtype, i):
    lh = iface.link_hlen
    if m._nrec and m._l4 + wmld.REPORT_LEN + wmld.RECORD_LEN * (m._nrec + 1) > \
            lh + _mtu(iface):
        _flush_v2(iface, m)
    if m._nrec == 0:
        m._l4 = lh + _HLEN + _HBH
    wmld.emit_record(iface.tx_buf, m._l4 + wmld.REPORT_LEN + wmld.RECORD_LEN * m._nrec, rtype,
                     m.groups, 16 * i)
    m._nrec += 1


def _flush_v2(iface, m):
    n = wmld.emit_report_header(iface.tx_buf, m._l4, m._nrec) + wmld.RECORD_LEN * m._nrec
    m._nrec = 0
    _send(iface, _MLDV2_ROUTERS, 0, n)   # RFC 3810 5.2.14: to ff02::16


def _run_v1(iface, m, now):
    # RFC 2710 4: one message per group, reports to the group, dones to
    # all-routers
    for i in range(m.size):
        f = m.flags[i]
        if m.sc_left[i] and _due(m.sc_at[i], now):
            if f:
                _send_v1(iface, m, wmld.TYPE_V1_REPORT, i)
            else:
                _send_v1(iface, m, wmld.TYPE_V1_DONE, i)
            _sent_change(m, i, now, m.unsolicited_v1_ms)
        elif f and _due(m.q_at[i], now):
            _send_v1(iface, m, wmld.TYPE_V1_REPORT, i)
            m.q_at[i] = _NONE
            m.reporter[i] = 1


def _send_v1(iface, m, t, i):
    l4 = iface.link_hlen + _HLEN + _HBH
    n = wmld.emit_v1(iface.tx_buf, l4, t, m.groups, 16 * i)
    if t == wmld.TYPE_V1_DONE:
        _send(iface, _ALL_ROUTERS, 0, n)
    else:
        _send(iface, m.groups, 16 * i, n)


def _mtu(iface):
    k = iface.ip6.mtu
    return k if k else iface.ip_mtu


def _send(iface, dst, doff, n):
    """Send the MLD message of n bytes in place in tx_buf to dst: hop limit
    1 and a Router Alert (RFC 3810 5, RFC 2710 3), from our link-local
    address, or from :: while we have none that is not tentative (RFC 3810
    5.2.13 allows that to reports only)."""
    t = iface.tx_buf
    lh = iface.link_hlen
    src = iface.tx_src
    a = iface.ip6.addrs
    k = 0
    while k < a.n and not (a.state[k] != _TENTATIVE and ipv6.is_link_local(a.addrs, 16 * k)):
        k += 1
    if k < a.n:
        copy(src, 0, a.addrs, 16 * k, 16)
    else:
        fill(src, 0, 16, 0)
    if lh:
        ipv6.multicast_mac(t, 0, dst, doff)   # RFC 2464 7
        copy(t, 6, iface.mac, 0, 6)
        ethernet.set_ethertype(t, 0, ethernet.ETHERTYPE_IPV6)
    ipv6.emit(t, lh, src, 0, dst, doff, ipv6.NH_HOPOPT, _HBH + n, 1)
    ipv6.emit_router_alert(t, lh + _HLEN, _PROTO_ICMPV6)
    l4 = lh + _HLEN + _HBH
    icmpv6.fill_checksum(t, l4, n, checksum.pseudo6(src, 0, dst, doff, _PROTO_ICMPV6, n))
    iface.stats.mld_reports += 1
    iface.send_frame(t, l4 + n)
