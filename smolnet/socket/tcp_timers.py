# The retransmission timeout estimator of RFC 6298, in integer ms.
#
# SRTT and RTTVAR are kept scaled (srtt8 = 8*SRTT, rttvar4 = 4*RTTVAR) so the
# 1/8 and 1/4 gains of RFC 6298 2.3 are exact integer adds, as in BSD. All
# values stay far below 2**30: samples are clamped to _SAMPLE_MAX. Nothing
# here allocates.
from micropython import const

_SAMPLE_MAX = const(0x100000)   # ~17 min: longer "samples" are clock glitches
_G = const(1)                  # clock granularity G (RFC 6298 2.1), ms


class RttEstimator:
    def __init__(self, rto_init=1000, rto_min=200, rto_max=60000):
        self.rto_init = rto_init   # RFC 6298 2.1 says 1 s
        self.rto_min = rto_min     # RFC 6298 2.4 says 1 s; Linux uses 200 ms
        self.rto_max = rto_max     # RFC 6298 2.5: at least 60 s
        self.reset()

    def reset(self):
        self.srtt8 = 0
        self.rttvar4 = 0
        self.samples = 0
        self.backoff = 0
        self.rto = self._clamp(self.rto_init)

    def _clamp(self, v):
        if v < self.rto_min:
            return self.rto_min
        if v > self.rto_max:
            return self.rto_max
        return v

    def srtt(self):
        return self.srtt8 >> 3

    def rttvar(self):
        return self.rttvar4 >> 2

    def sample(self, r):
        """One RTT measurement r in ms (RFC 6298 2.2 / 2.3). Clears the
        backoff: a valid sample means the path is alive (5.7)."""
        if r < 0:
            return
        if r > _SAMPLE_MAX:
            r = _SAMPLE_MAX
        if self.samples == 0:
            self.srtt8 = r << 3
            self.rttvar4 = r << 1          # RTTVAR = R/2, scaled by 4
        else:
            delta = r - (self.srtt8 >> 3)  # R - old SRTT
            self.srtt8 += delta            # SRTT += (R - SRTT) / 8
            if delta < 0:
                delta = -delta
            # RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|, scaled by 4
            self.rttvar4 += delta - (self.rttvar4 >> 2)
        if self.samples < 1000:
            self.samples += 1
        # RTO = SRTT + max(G, 4*RTTVAR), within rto_min..rto_max (_clamp,
        # written out: sample() runs for most ACKs)
        rto = (self.srtt8 >> 3) + (self.rttvar4 if self.rttvar4 > _G else _G)
        if rto < self.rto_min:
            rto = self.rto_min
        elif rto > self.rto_max:
            rto = self.rto_max
        self.backoff = 0
        self.rto = rto

    def on_timeout(self):
        """Timer expired: back off (RFC 6298 5.5), doubling up to rto_max."""
        if self.rto < self.rto_max:
            self.rto <<= 1
            if self.rto > self.rto_max:
                self.rto = self.rto_max
        self.backoff += 1
