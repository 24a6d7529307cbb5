# Sequence-number arithmetic without 32-bit ints.
#
# THE REPRESENTATION
# On 32-bit MicroPython a small int has 31 bits (values from -2**30 to
# 2**30 - 1); anything larger is a heap object. TCP sequence numbers, ACK
# numbers and timestamps are 32-bit and wrap, so they are never held as
# Python ints on the per-segment path. Instead:
#
# * Each connection keeps two bases, each as two 16-bit halves (hi, lo):
#   the send base (ISS when the connection starts) and the receive base
#   (IRS). Every send-side sequence number (SND.UNA, SND.NXT, the highest
#   sent, the recovery point, SACK edges...) is stored as a *relative
#   offset* from the send base, every receive-side one (RCV.NXT, the
#   advertised right edge, the last ACK sent...) as an offset from the
#   receive base. ISS is offset 0, the first data byte offset 1.
#
# * Reading a 32-bit number from the wire (seq_get) subtracts the base half
#   by half, with the borrow from the low half into the high half, and
#   interprets the 32-bit difference as signed (RFC 9293 3.4 compares
#   sequence numbers modulo 2**32, so "after" means within +2**31). If the
#   difference lies in [-2**29, 2**29) it is returned exactly; otherwise it
#   is clamped to -FAR or +FAR (FAR = 2**29), which is farther than any
#   window and any offset a live connection holds, so every comparison
#   against state still gives the right answer ("way outside").
#
# * Writing (seq_put) adds the offset back to the base with the carry
#   between halves, and stores the four bytes.
#
# * Offsets grow as data flows. When SND.UNA (or RCV.NXT) passes REBASE
#   (2**27 = 128 MiB of traffic) the connection moves its base forward by
#   that offset (base_add, again half by half) and subtracts it from every
#   offset of that side. All offsets therefore stay well inside
#   [-2**28, 2**28 + window] and sums like RCV.NXT + RCV.WND never leave
#   the small-int range. Windows are clamped to WND_MAX = 2**28. A
#   connection can run for ever; one that starts with ISS = 2**32 - 5 wraps
#   through 0 with nothing special happening (tests do both).
#
# * Timestamps (RFC 7323) use the same functions: our TSval clock is a pair
#   of halves advanced by elapsed ms, TS.Recent is kept as halves, and the
#   PAWS test "SEG.TSval < TS.Recent" is seq_get(TSval, TS.Recent) < 0.
#
# seq_get and seq_put run on every segment: they are smolnet/fast's (a viper
# twin where the emitter exists, the pure reference in fast/pure.py
# elsewhere; same results, checked by host_tests/test_tcp_seq.py). The
# functions below work on halves already in hand.
from micropython import const

FAR = const(0x20000000)        # 2**29: "farther than anything live"
REBASE = const(0x08000000)     # 2**27: move the base once an offset passes this
WND_MAX = const(0x10000000)    # 2**28: largest window we keep

# Every offset a TcpSocket keeps, by the base it is relative to: a rebase
# (rebase_snd, rebase_rcv below) moves exactly these, so a new offset field
# is added here, and nowhere else. (The RACK records keep
# their own: Rack.rebase; SACK scoreboard offsets are from SND.UNA.)
# host_tests/test_tcp_wrap.py rebases at random moments and checks that
# nothing changes on the wire.
SND_OFFSETS = ("snd_una", "snd_nxt", "snd_max", "snd_wl2", "recover", "rtt_seq",
               "rtx_mark", "fin_seq", "high_rxt")
RCV_OFFSETS = ("rcv_nxt", "rcv_adv", "last_ack_sent", "snd_wl1", "fin_ooo_at")


def base_hi(bhi, blo, k):
    """High half of base + k (k >= 0 or negative, |k| < 2**30)."""
    return (bhi + (k >> 16) + ((blo + (k & 0xFFFF)) >> 16)) & 0xFFFF


def base_lo(blo, k):
    """Low half of base + k."""
    return (blo + (k & 0xFFFF)) & 0xFFFF


def shift(s, fields, k):
    """Subtract k from each of the attributes of s named in fields (the
    offsets of a rebase, SND_OFFSETS or RCV_OFFSETS). Once per 128 MiB:
    a walk by name is cheap enough, and allocates nothing."""
    i = 0
    while i < len(fields):
        f = fields[i]
        setattr(s, f, getattr(s, f) - k)
        i += 1


def rebase_snd(s):
    """Move the send base up to SND.UNA (once SND.UNA passes REBASE)."""
    k = s.snd_una
    s.snd_bhi = base_hi(s.snd_bhi, s.snd_blo, k)
    s.snd_blo = base_lo(s.snd_blo, k)
    shift(s, SND_OFFSETS, k)
    if s.sack_ok:
        s.rack.rebase(k)


def rebase_rcv(s):
    """Move the receive base up to RCV.NXT (once RCV.NXT passes REBASE)."""
    k = s.rcv_nxt
    s.rcv_bhi = base_hi(s.rcv_bhi, s.rcv_blo, k)
    s.rcv_blo = base_lo(s.rcv_blo, k)
    shift(s, RCV_OFFSETS, k)
