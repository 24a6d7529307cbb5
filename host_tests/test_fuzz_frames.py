# runtimes: cpython unix wasm
# timeout: 600
# The whole-Interface frame fuzzer (fuzz_frames.py), bounded: a fixed seed
# and a few thousand frames, then the checks (poll() never raised, the
# listener accepts, the live TCP connection and the UDP socket move bytes
# exactly). `make fuzz` runs it for longer.
import fuzz_frames as F


def test_fuzz_frames_seed_1():
    w = F.fuzz(3000, 1)
    assert w.b.stats.rx_frames >= 2900
    assert w.b.stats.drop_internal_error == 0


def test_fuzz_frames_reach_every_layer():
    # the seeds and mutations get past the checks to the parsers above
    w = F.fuzz(3000, 2)
    st = w.b.stats
    for name in ("arp_replies", "icmp_echo_replies", "igmp_queries", "mld_queries",
                 "reasm_ok", "drop_bad_checksum", "drop_malformed", "drop_bad_nd",
                 "drop_ext_header"):
        assert getattr(st, name) > 0, name
    assert w.listener.cookies.sent + w.listener.syn_bad > 0
    assert w.dhcp.state != 1                  # an OFFER was taken
    assert w.server.challenge_acks > 0        # fuzzed ACKs reached the live connection


def test_mutations_deterministic():
    a = F.Lcg(7)
    b = F.Lcg(7)
    seed = bytes(range(60))
    assert F.mutate(a, seed) == F.mutate(b, seed)
    assert F.mutate(a, seed) != seed or F.mutate(a, seed) != seed
