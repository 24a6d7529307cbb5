# Slots and timers shared by IPv4 (reasm4.py) and IPv6 (reasm6.py)
# fragment reassembly. What differs between the families (the key, the
# header kept and rebuilt, the errors sent) is in the subclasses; what is
# the same (where data goes, what counts as overlap, eviction, expiry) is
# here, so both keep one policy:
#
# - a few preallocated slots; each holds one datagram's data at base[i] in
#   its buffer, behind the link and IP headers the family keeps there.
#   Each fragment's data is copied once, straight to its offset.
# - holes: a storage.Assembler per slot, RFC 815's hole list in spirit,
#   bounded at _MAX_RANGES separate pieces (more: the datagram is dropped)
# - overlap: any overlap drops the whole datagram (RFC 5722 for IPv6; on
#   IPv4, where RFC 791 lets later data overwrite earlier, overlapping
#   fragments are how filters are evaded and stacks confused, and Linux
#   drops them too). A fragment lying wholly inside data already held and
#   equal to it is a duplicate (the network repeats packets): it is
#   ignored, as RFC 8200 4.5 allows for exact duplicates.
# - the timer starts with the first fragment and is not stretched by later
#   ones (RFC 1122 3.3.2, RFC 8200 4.5); on expiry the datagram is dropped
#   and, if fragment zero was received and the datagram was unicast, the
#   subclass sends its Time Exceeded (code 1) through the rate limiter.
# - all slots busy: the oldest datagram is evicted for the new one. Keeping
#   the old one instead would let a single lost fragment block all
#   fragmented traffic for the whole timeout on a one-slot board; Linux
#   also evicts the oldest queues when its reassembly memory is full.
#
# Memory: nothing here allocates after __init__. Not interrupt-safe.
from micropython import const
from time import ticks_add, ticks_diff
from ..fast import copy, equal
from ..storage.assembler import Assembler

_MAX_RANGES = const(8)      # separate pieces one datagram may arrive in
# copy of smolnet/iface/interface.py's rx_cast value (inlined here; test_const_copies.py checks)
_CAST_UNICAST = const(0)


class Reassembler:
    def __init__(self, cfg, link_hlen, buf_size, addr_len, ident_len, timeout_ms):
        """addr_len, ident_len: the bytes of the key (source and destination
        addresses, adjacent in the header; the identification)."""
        n = cfg.reassembly_slots
        self.slots = n
        self.timeout_ms = timeout_ms
        self._lh = link_hlen
        self._alen = addr_len
        self._klen = addr_len + ident_len
        self._bufs = [bytearray(link_hlen + buf_size) for _ in range(n)]
        self._holes = [Assembler(_MAX_RANGES) for _ in range(n)]
        self._keys = bytearray(self._klen * n)
        self._extra = [0] * n      # a key part that is a small int (IPv4: protocol)
        self._base = [0] * n       # where data offset 0 sits in the slot buffer
        self._cast = [0] * n
        self._total = [0] * n      # data length; -1 until the last fragment
        self._first = [0] * n      # data bytes of fragment zero; 0 until it comes
        self._deadline = [0] * n
        self._used = bytearray(n)
        self.busy = 0              # slots in use

    # --- slots --------------------------------------------------------------
    def _find(self, b, aoff, ioff, extra):
        """The slot of the datagram whose key is the addresses at b[aoff],
        the identification at b[ioff] and extra, or -1. The identification
        is compared as bytes: IPv6's 32 bits would be a heap int on a
        32-bit port."""
        if self.busy == 0:
            return -1
        keys = self._keys
        kl = self._klen
        al = self._alen
        for k in range(self.slots):
            if self._used[k] and self._extra[k] == extra and \
                    equal(keys, kl * k + al, b, ioff, kl - al) and \
                    equal(keys, kl * k, b, aoff, al):
                return k
        return -1

    def _claim(self, iface, b, aoff, ioff, extra, cast, base, now):
        used = self._used
        i = -1
        for k in range(self.slots):
            if not used[k]:
                i = k
                break
        if i < 0:   # all busy: evict the oldest (see the policy above)
            i = 0
            dl = self._deadline
            for k in range(1, self.slots):
                if ticks_diff(dl[k], dl[i]) < 0:
                    i = k
            iface.stats.drop_reasm_full += 1
            self._free(i)
        kl = self._klen
        al = self._alen
        copy(self._keys, kl * i, b, aoff, al)
        copy(self._keys, kl * i + al, b, ioff, kl - al)
        self._extra[i] = extra
        self._cast[i] = cast
        self._base[i] = base
        self._total[i] = -1
        self._first[i] = 0
        self._deadline[i] = ticks_add(now, self.timeout_ms)
        self._holes[i].clear()
        used[i] = 1
        self.busy += 1
        return i

    def _free(self, i):
        if self._used[i]:
            self._used[i] = 0
            self.busy -= 1

    # --- data ---------------------------------------------------------------
    def _place(self, iface, i, b, data, fo, size, more):
        """Copy a fragment's data (size bytes at b[data], offset fo) into
        slot i unless it contradicts what is held (then the datagram is
        dropped) or duplicates it. True if the data was new."""
        st = iface.stats
        h = self._holes[i]
        end = fo + size
        n = h.count()
        t = self._total[i]
        # the last fragment fixes the length (RFC 791 3.2, RFC 8200 4.5);
        # data past it, or a second last fragment ending elsewhere,
        # contradicts it
        if (t >= 0 and (end > t or (not more and end != t))) or \
                (not more and n and end < h.end(n - 1)):
            st.drop_reasm_overlap += 1
            self._free(i)
            return False
        buf = self._bufs[i]
        base = self._base[i]
        for k in range(n):
            s = h.start(k)
            e = h.end(k)
            if s < end and fo < e:
                if s <= fo and end <= e and equal(buf, base + fo, b, data, size):
                    st.drop_reasm_duplicate += 1
                    return False
                st.drop_reasm_overlap += 1    # see the policy above
                self._free(i)
                return False
        if not h.add(fo, size):
            st.drop_reasm_full += 1           # too many separate pieces
            self._free(i)
            return False
        copy(buf, base + fo, b, data, size)
        if not more:
            self._total[i] = end
        return True

    def _complete(self, i):
        t = self._total[i]
        h = self._holes[i]
        return t >= 0 and h.count() == 1 and h.start(0) == 0 and h.end(0) == t

    # --- timer --------------------------------------------------------------
    def expire(self, iface, now):
        """Drop datagrams whose time is up. True if any was."""
        did = False
        for i in range(self.slots):
            if self._used[i] and ticks_diff(now, self._deadline[i]) >= 0:
                iface.stats.reasm_timeouts += 1
                if self._first[i] and self._cast[i] == _CAST_UNICAST:
                    self._time_exceeded(iface, i, now)
                self._free(i)
                did = True
        return did

    def delay(self, now):
        """ms until the next datagram times out; -1 if none is held."""
        d = -1
        for i in range(self.slots):
            if self._used[i]:
                t = ticks_diff(self._deadline[i], now)
                if t < 0:
                    t = 0
                if d < 0 or t < d:
                    d = t
        return d
