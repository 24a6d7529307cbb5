# IPv4 multicast group membership, the host side of IGMPv3 (RFC 3376) with
# its compatibility modes for IGMPv1 and IGMPv2 queriers (RFC 3376 7.2.1:
# RFC 1112 / RFC 2236 reports and leaves while an older querier is heard).
#
# A fixed table of Config.multicast_groups groups. Each group is MEMBER
# (frames to it are accepted) or LEAVING (no longer accepted; its leave or
# state-change reports are still going out), with two timers: the next
# unsolicited/state-change report (RFC 3376 5.1, RFC 2236 3) and the answer
# to a query about it. One more timer answers general queries in IGMPv3
# mode (RFC 3376 5.2 "interface timer"), two more say an older querier is
# present (RFC 3376 7.2.1).
#
# We keep no source filters: every group is EXCLUDE{} ("any source"), so a
# join is reported as CHANGE_TO_EXCLUDE{}, a leave as CHANGE_TO_INCLUDE{},
# and a query answered with MODE_IS_EXCLUDE{} (a group-and-source-specific
# query is answered like a group-specific one).
#
# Allocation: none after __init__ in join(), leave() (but for the OSError
# join may raise), joined(), rx(), poll() and delay(); groups() builds a list.
# Determinism: the random delays come from self.rand (smolnet.rand.Rand16),
# seeded from os.urandom like the DHCP client; tests call rand.seed(n).
from micropython import const
from time import ticks_add, ticks_diff
from ..fast import copy
from ..rand import Rand16, entropy_seed
from ..wire import igmp, ipv4, ipaddr

_FREE = const(0)
_MEMBER = const(1)
_LEAVING = const(2)
# copy of smolnet/wire/ipv4.py's PROTO_IGMP (inlined here; test_const_copies.py checks)
_PROTO_IGMP = const(2)
_IP_HLEN = const(24)           # IPv4 header with Router Alert (RFC 3376 4)
_V1_MAX_RESP_MS = const(10000)  # RFC 2236 4: a v1 query's 0 means 10 s
_FINE_MAX = const(16383)       # _random_ms: one step up to here

_ALL_ROUTERS = b"\xe0\x00\x00\x02"   # 224.0.0.2: v2 leaves (RFC 2236 3)
_V3_ROUTERS = b"\xe0\x00\x00\x16"    # 224.0.0.22: v3 reports (RFC 3376 4.2.14)


class Igmp:
    def __init__(self, cfg, seed=None):
        n = cfg.multicast_groups
        self.size = n
        self.addrs = bytearray(4 * n)
        self.state = bytearray(n)
        self.reports_left = bytearray(n)   # reports of the last join/leave still to send
        self.report_now = bytearray(n)     # the next goes at the next poll (join has no clock)
        self.report_at = [0] * n           # else: its tick
        self.answer = bytearray(n)         # an answer to a query is pending...
        self.answer_at = [0] * n           # ... for this tick
        self.reporter = bytearray(n)       # we sent the last report (RFC 2236 3, leave rule)
        self.general = False               # RFC 3376 5.2 interface timer (v3 mode)
        self.general_at = 0
        self.v1_present = False            # RFC 3376 7.2.1 querier present timers
        self.v1_until = 0
        self.v2_present = False
        self.v2_until = 0
        # knobs (RFC 3376 8): Robustness Variable and Query Interval follow
        # the last IGMPv3 query's QRV and QQIC, as Linux does
        self.robustness = 2                # 8.1
        self.query_interval_ms = 125000    # 8.2
        self.unsolicited_ms = 1000         # 8.11 Unsolicited Report Interval
        self.unsolicited_old_ms = 10000    # RFC 2236 8.10 (v1/v2 modes)
        # counters beyond Stats: v1/v2 answers suppressed by another host's
        # report (RFC 2236 3)
        self.suppressed = 0
        self.rand = Rand16(entropy_seed() if seed is None else seed)
        # when poll() has work: idle, else at the next poll (asap) or at
        # tick _next
        self._idle = True
        self._asap = False
        self._timed = False
        self._next = 0
        self._l4 = 0                       # the v3 report being filled
        self._nrec = 0

    # --- the API (interface.join_multicast and friends) -------------------
    def join(self, addr):
        """Join the group of 4-byte addr: accepted at once, reported at the
        next poll. True if new, False if already joined."""
        if len(addr) != 4 or not ipaddr.is_multicast4(addr, 0) or \
                (addr[0] == 224 and addr[1] == 0 and addr[2] == 0 and addr[3] == 1):
            raise OSError(22)  # EINVAL: 224.0.0.1 is always joined, never reported
        i = self._find(addr, 0)
        if i >= 0 and self.state[i] == _MEMBER:
            return False
        if i < 0:
            i = self._free_slot()
            if i < 0:
                raise OSError(12)  # ENOMEM: Config.multicast_groups are taken
            copy(self.addrs, 4 * i, addr, 0, 4)
        self.state[i] = _MEMBER
        self.answer[i] = 0
        self.reporter[i] = 1
        # RFC 3376 5.1: at once, then Robustness - 1 more times within the
        # Unsolicited Report Interval; RFC 2236 3 / RFC 1112 likewise
        self._report_soon(i, self.robustness)
        return True

    def leave(self, addr):
        """Leave: not accepted from now on; the leave (v3: TO_IN{}, v2: a
        Leave Group, v1: nothing) goes at the next poll. False if not joined."""
        i = self._find(addr, 0) if len(addr) == 4 else -1
        if i < 0 or self.state[i] != _MEMBER:
            return False
        self.answer[i] = 0
        m = self.mode()
        if m == 3:
            self.state[i] = _LEAVING  # TO_IN{}, repeated like a join (5.1)
            self._report_soon(i, self.robustness)
        elif m == 2 and self.reporter[i]:
            self.state[i] = _LEAVING  # one Leave Group to 224.0.0.2 (RFC 2236 3)
            self._report_soon(i, 1)
        else:
            # IGMPv1 has no leave; in v2 mode another host reported last
            # and RFC 2236 3 lets us stay quiet (the querier will ask)
            self.state[i] = _FREE
            self.reports_left[i] = 0
            self.report_now[i] = 0
        return True

    def groups(self):
        return [ipaddr.fmt4(self.addrs, 4 * i) for i in range(self.size)
                if self.state[i] == _MEMBER]

    def mode(self):
        """Host Compatibility Mode (RFC 3376 7.2.1): 1, 2 or 3."""
        if self.v1_present:
            return 1
        if self.v2_present:
            return 2
        return 3

    def joined(self, buf, off):
        """buf[off:off + 4] is a group we are a member of (hot path)."""
        a = self.addrs
        st = self.state
        last = buf[off + 3]
        for i in range(self.size):
            j = 4 * i
            if a[j + 3] == last and st[i] == _MEMBER and a[j] == buf[off] and \
                    a[j + 1] == buf[off + 1] and a[j + 2] == buf[off + 2]:
                return True
        return False

    def _find_member(self, buf, off):
        # a MEMBER group at buf[off:] (buf None: any), or -1
        if buf is None:
            for i in range(self.size):
                if self.state[i] == _MEMBER:
                    return i
            return -1
        i = self._find(buf, off)
        return i if i >= 0 and self.state[i] == _MEMBER else -1

    def _find(self, buf, off):
        a = self.addrs
        for i in range(self.size):
            j = 4 * i
            if self.state[i] != _FREE and a[j] == buf[off] and a[j + 1] == buf[off + 1] and \
                    a[j + 2] == buf[off + 2] and a[j + 3] == buf[off + 3]:
                return i
        return -1

    def _free_slot(self):
        # a free slot, else one whose leave is announced at least once (the
        # rest of its repeats are given up), else one still leaving
        best = -1
        for i in range(self.size):
            s = self.state[i]
            if s == _FREE:
                return i
            if s == _LEAVING and (best < 0 or not self.report_now[i]):
                best = i
        return best

    def _report_soon(self, i, count):
        self.reports_left[i] = count
        self.report_now[i] = 1
        self._asap = True
        self._idle = False

    # --- receive -----------------------------------------------------------
    def rx(self, iface, l4, l4len, now):
        """An IGMP message of l4len bytes at iface.rx_buf[l4]."""
        b = iface.rx_buf
        if not igmp.check(b, l4, l4len):
            iface.stats.drop_bad_igmp += 1
            return
        t = igmp.msg_type(b, l4)
        if t == igmp.TYPE_QUERY:
            self._query(iface, b, l4, l4len, now)
        elif t == igmp.TYPE_V1_REPORT or t == igmp.TYPE_V2_REPORT:
            self._heard_report(b, l4)
        # v3 reports and v2 leaves are for routers; other types are
        # silently ignored (RFC 3376 4)

    def _query(self, iface, b, l4, n, now):
        v = igmp.query_version(b, l4, n)
        general = igmp.group_is_zero(b, l4)
        if v == 0 or not (general or ipaddr.is_multicast4(b, l4 + igmp.GROUP)):
            iface.stats.drop_bad_igmp += 1
            return
        iface.stats.igmp_queries += 1
        code = igmp.max_resp_code(b, l4)
        if v == 1:
            mrt = _V1_MAX_RESP_MS
        elif v == 2:
            mrt = 100 * code
        else:
            mrt = 100 * igmp.decode_code(code)
            q = igmp.qrv(b, l4)
            if q:
                self.robustness = q
            q = igmp.decode_code(igmp.qqic(b, l4))
            if q:
                self.query_interval_ms = 1000 * q
        if v < 3:
            self._older_querier(v, mrt, now)
        if general:
            i = self._find_member(None, 0)
        else:
            i = self._find_member(b, l4 + igmp.GROUP)
        if i < 0:
            return  # not a member (of any group): nothing to answer (RFC 3376 5.2, RFC 2236 3)
        due = ticks_add(now, self._random_ms(mrt))
        if self.mode() != 3:
            # RFC 2236 3: a delay timer per group, each its own random
            # value; a running one is only moved earlier
            self._answer_by(i, due)
            if general:
                for k in range(i + 1, self.size):
                    if self.state[k] == _MEMBER:
                        self._answer_by(k, ticks_add(now, self._random_ms(mrt)))
        elif self.general and ticks_diff(self.general_at, due) <= 0:
            return  # RFC 3376 5.2 rule 1: a general answer comes sooner anyway
        elif general:
            self.general = True  # rule 2: the interface timer, replacing any
            self.general_at = due
            self._wake(due)
        else:
            self._answer_by(i, due)  # rules 3 and 4 (no source lists kept)

    def _answer_by(self, i, due):
        if not self.answer[i] or ticks_diff(due, self.answer_at[i]) < 0:
            self.answer[i] = 1
            self.answer_at[i] = due
            self._wake(due)

    def _older_querier(self, v, mrt, now):
        # RFC 3376 7.2.1; Older Version Querier Present Timeout (8.12):
        # Robustness * Query Interval + the query's response interval
        old = self.mode()
        t = ticks_add(now, self.robustness * self.query_interval_ms + mrt)
        if v == 1:
            self.v1_present = True
            self.v1_until = t
        else:
            self.v2_present = True
            self.v2_until = t
        if self.mode() != old:
            self._cancel_all()
        self._wake(t)

    def _heard_report(self, b, l4):
        # another host's v1/v2 report (ours never come back: no multicast
        # loopback). RFC 2236 3: it is now the last reporter; in v1/v2 mode
        # our pending answer is suppressed. IGMPv3 hosts do not suppress.
        i = self._find_member(b, l4 + igmp.GROUP)
        if i < 0:
            return
        self.reporter[i] = 0
        if self.answer[i] and self.mode() != 3:
            self.answer[i] = 0
            self.suppressed += 1

    def _cancel_all(self):
        # RFC 3376 7.2.1: a change of compatibility mode cancels every
        # pending response and retransmission
        self.general = False
        for i in range(self.size):
            self.answer[i] = 0
            self.reports_left[i] = 0
            self.report_now[i] = 0
            if self.state[i] == _LEAVING:
                self.state[i] = _FREE

    # --- timers ---------------------------------------------------------------
    def _random_ms(self, n):
        """0..n ms, n < 2**22; every product stays below 2**30 (a small int
        on 32-bit ports), so long delays are drawn in two parts."""
        r = self.rand
        if n <= _FINE_MAX:
            return (r.next() * (n + 1)) >> 16
        v = ((((r.next() >> 2) * ((n >> 8) + 1)) >> 14) << 8) | (r.next() & 0xFF)
        return v if v <= n else n

    def _wake(self, t):
        if not self._timed or ticks_diff(t, self._next) < 0:
            self._next = t
            self._timed = True
        self._idle = False

    def _reschedule(self):
        # the earliest pending event, after a poll did what was due
        self._timed = False
        self._asap = False
        if self.general:
            self._wake(self.general_at)
        if self.v1_present:
            self._wake(self.v1_until)
        if self.v2_present:
            self._wake(self.v2_until)
        for i in range(self.size):
            if self.reports_left[i]:
                if self.report_now[i]:
                    self._asap = True
                else:
                    self._wake(self.report_at[i])
            if self.answer[i]:
                self._wake(self.answer_at[i])
        self._idle = not (self._asap or self._timed)

    def delay(self, now):
        """ms until poll() has work, -1 if none."""
        if self._idle:
            return -1
        if self._asap:
            return 0
        d = ticks_diff(self._next, now)
        return d if d > 0 else 0

    def poll(self, iface, now):
        """Send what is due; True if anything was sent."""
        if self._idle:
            return False
        if not self._asap and ticks_diff(now, self._next) < 0:
            return False
        old = self.mode()
        if self.v1_present and ticks_diff(now, self.v1_until) >= 0:
            self.v1_present = False
        if self.v2_present and ticks_diff(now, self.v2_until) >= 0:
            self.v2_present = False
        m = self.mode()
        if m != old:
            self._cancel_all()
        if m == 3:
            sent = self._run_v3(iface, now)
        else:
            sent = self._run_old(iface, m, now)
        self._reschedule()
        return sent

    def _report_due(self, i, now):
        return self.reports_left[i] and \
            (self.report_now[i] or ticks_diff(now, self.report_at[i]) >= 0)

    def _answer_due(self, i, now):
        return self.answer[i] and ticks_diff(now, self.answer_at[i]) >= 0

    def _reported(self, i, now, interval):
        # one report of a join/leave went out: schedule the next or finish
        self.reporter[i] = 1
        self.answer[i] = 0  # it tells the querier as much as an answer would
        self.report_now[i] = 0
        left = self.reports_left[i] - 1
        self.reports_left[i] = left
        if left > 0:
            self.report_at[i] = ticks_add(now, self._random_ms(interval))
        elif self.state[i] == _LEAVING:
            self.state[i] = _FREE

    # --- transmit -------------------------------------------------------------
    def _run_v3(self, iface, now):
        # everything due goes in one report (more if it outgrows the MTU)
        gen = self.general and ticks_diff(now, self.general_at) >= 0
        if gen:
            self.general = False
        self._nrec = 0
        sent = False
        for i in range(self.size):
            s = self.state[i]
            if s == _FREE:
                continue
            if self._report_due(i, now):
                rt = igmp.CHANGE_TO_EXCLUDE if s == _MEMBER else igmp.CHANGE_TO_INCLUDE
                sent = self._add_record(iface, now, rt, i) or sent
                self._reported(i, now, self.unsolicited_ms)
            elif s == _MEMBER and (gen or self._answer_due(i, now)):
                sent = self._add_record(iface, now, igmp.MODE_IS_EXCLUDE, i) or sent
                self.answer[i] = 0
                self.reporter[i] = 1
        if self._nrec:
            self._flush_v3(iface)
        return sent

    def _add_record(self, iface, now, rtype, i):
        if self._nrec and self._nrec == (iface.ip_mtu - _IP_HLEN - igmp.V3_REPORT_LEN) >> 3:
            self._flush_v3(iface)
        if self._nrec == 0:
            off = iface.tx_begin(_V3_ROUTERS, 0, 4, None, 0, now)
            if off < 0:
                return False
            self._l4 = off - ipv4.HEADER_LEN + _IP_HLEN
        p = self._l4 + igmp.V3_REPORT_LEN + igmp.RECORD_LEN * self._nrec
        igmp.emit_record(iface.tx_buf, p, rtype, self.addrs, 4 * i)
        self._nrec += 1
        return True

    def _flush_v3(self, iface):
        t = iface.tx_buf
        l4 = self._l4
        n = igmp.V3_REPORT_LEN + igmp.RECORD_LEN * self._nrec
        igmp.emit_v3_report_header(t, l4, self._nrec)
        igmp.fill_checksum(t, l4, n)
        self._nrec = 0
        self._send_ip(iface, l4, n, _V3_ROUTERS, 0)

    def _run_old(self, iface, m, now):
        # RFC 2236 / RFC 1112: one message per group, reports to the group
        report = igmp.TYPE_V2_REPORT if m == 2 else igmp.TYPE_V1_REPORT
        sent = False
        for i in range(self.size):
            s = self.state[i]
            if s == _FREE:
                continue
            if self._report_due(i, now):
                t = report if s == _MEMBER else igmp.TYPE_V2_LEAVE
                sent = self._send_old(iface, now, t, i) or sent
                self._reported(i, now, self.unsolicited_old_ms)
            elif s == _MEMBER and self._answer_due(i, now):
                sent = self._send_old(iface, now, report, i) or sent
                self.answer[i] = 0
                self.reporter[i] = 1
        return sent

    def _send_old(self, iface, now, t, i):
        if t == igmp.TYPE_V2_LEAVE:
            dst = _ALL_ROUTERS
            doff = 0
        else:
            dst = self.addrs
            doff = 4 * i
        off = iface.tx_begin(dst, doff, 4, None, 0, now)
        if off < 0:
            return False
        l4 = off - ipv4.HEADER_LEN + _IP_HLEN
        igmp.emit_v2(iface.tx_buf, l4, t, self.addrs, 4 * i)
        self._send_ip(iface, l4, igmp.LEN, dst, doff)
        return True

    def _send_ip(self, iface, l4, n, dst, doff):
        # TTL 1 and Router Alert (RFC 3376 4, RFC 2236 2, RFC 2113); the
        # source is what tx_begin picked: our address, or 0.0.0.0 before we
        # have one (RFC 3376 4.2.13)
        iface.ident4 = (iface.ident4 + 1) & 0xFFFF
        igmp.emit_router_alert(iface.tx_buf, l4 - _IP_HLEN, iface.tx_src, 0, dst, doff,
                               _PROTO_IGMP, n, 1, iface.ident4,
                               igmp.TOS_INTERNETWORK_CONTROL)
        iface.stats.igmp_reports += 1
        iface.send_frame(iface.tx_buf, l4 + n)

