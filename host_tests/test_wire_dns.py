# runtimes: cpython unix wasm
# DNS codec (smolnet.wire.dns) against dnsmasq 2.90's answers captured in a
# namespace, compression as RFC 1035 4.1.4 draws it, and malformed messages:
# pointer loops, forward pointers, names past 255 bytes, records past the
# end, random damage. None of it may raise.
from smolnet.wire import dns
from smolnet.wire import ipaddr
from wire_names import DNS
from support import hexbytes
from prng import Prng


def name_str(buf, msg, end, p):
    """The dotted name at p (None if malformed): the codec's walk
    (dns._follow, DNS.NAME_MAX) made visible."""
    parts = []
    total = 0
    while True:
        p = dns._follow(buf, msg, end, p)
        if p < 0:
            return None
        n = buf[p]
        if n == 0:
            return ".".join(parts) if parts else "."
        total += n + 1
        if total > DNS.NAME_MAX:
            return None
        parts.append("".join([chr(c) for c in buf[p + 1:p + 1 + n]]))
        p += n + 1


# query 0x7a4e, A smolnet.example, recursion desired (smolnet's, byte exact)
QUERY_A = hexbytes("7a4e 0100 0001 0000 0000 0000"
                   "07 736d6f6c6e6574 07 6578616d706c65 00  0001 0001")
QNAME = hexbytes("07 736d6f6c6e6574 07 6578616d706c65 00")
ALIAS = hexbytes("05 616c696173 07 6578616d706c65 00")
MULTI = hexbytes("05 6d756c7469 07 6578616d706c65 00")
NOPE = hexbytes("04 6e6f7065 07 6578616d706c65 00")

# dnsmasq --host-record=smolnet.example,192.0.2.77,2001:db8::77
ANSWER_A = hexbytes(
    "7a4e 8580 0001 0001 0000 0000"
    "07736d6f6c6e6574 076578616d706c65 00 0001 0001"
    "c00c 0001 0001 00000000 0004 c000024d")         # -> 192.0.2.77
# --cname=alias.example,smolnet.example: the A record's name points into
# the CNAME's data
ANSWER_CNAME_A = hexbytes(
    "f98d 8580 0001 0002 0000 0000"
    "05616c696173 076578616d706c65 00 0001 0001"
    "c00c 0005 0001 00000000 0011 07736d6f6c6e6574 076578616d706c65 00"
    "c02b 0001 0001 00000000 0004 c000024d")
ANSWER_CNAME_AAAA = hexbytes(
    "4444 8580 0001 0002 0000 0000"
    "05616c696173 076578616d706c65 00 001c 0001"
    "c00c 0005 0001 00000000 0011 07736d6f6c6e6574 076578616d706c65 00"
    "c02b 001c 0001 00000000 0010 20010db8000000000000000000000077")
ANSWER_AAAA = hexbytes(
    "1111 8580 0001 0001 0000 0000"
    "07736d6f6c6e6574 076578616d706c65 00 001c 0001"
    "c00c 001c 0001 00000000 0010 20010db8000000000000000000000077")
# two --host-record lines for one name
ANSWER_MULTI = hexbytes(
    "3333 8580 0001 0002 0000 0000"
    "056d756c7469 076578616d706c65 00 0001 0001"
    "c00c 0001 0001 00000000 0004 c000024e"
    "c00c 0001 0001 00000000 0004 c000024f")
# --local=/example/: nope.example does not exist
ANSWER_NXDOMAIN = hexbytes(
    "2222 8183 0001 0000 0000 0000"
    "046e6f7065 076578616d706c65 00 0001 0001")
# without --local, dnsmasq had no upstream: REFUSED
ANSWER_REFUSED = hexbytes(
    "f579 8185 0001 0000 0000 0000"
    "046e6f7065 076578616d706c65 00 0001 0001")


def _answers(msg, qname, qtype=dns.TYPE_A, maxn=4):
    out = bytearray(16 * maxn)
    k = dns.answers(msg, 0, len(msg), qname, 0, len(qname), qtype, out, 0, maxn)
    alen = 16 if qtype == dns.TYPE_AAAA else 4
    return k, [ipaddr.fmt(out, i * alen, alen) for i in range(k if k > 0 else 0)]


def test_encode_name():
    out = bytearray(300)
    assert dns.encode_name(out, 0, b"smolnet.example", 15) == 17
    assert bytes(out[:17]) == QNAME
    assert dns.encode_name(out, 3, b"smolnet.example.", 16) == 17   # final dot
    assert bytes(out[3:20]) == QNAME
    assert dns.encode_name(out, 0, b"a", 1) == 3
    assert bytes(out[:3]) == b"\x01a\x00"
    for bad in (b"", b".", b"a..b", b".a", b"a.b..", b"x" * 64 + b".example"):
        assert dns.encode_name(out, 0, bad, len(bad)) == -1, bad
    ok63 = b"x" * 63 + b".example"
    assert dns.encode_name(out, 0, ok63, len(ok63)) == 64 + 8 + 1
    # 255 bytes on the wire at most: 4 labels of 63 = 4 * 64 + 1 = 257
    long = b".".join([b"y" * 63] * 4)
    assert dns.encode_name(out, 0, long, len(long)) == -1
    fits = b".".join([b"y" * 63] * 3 + [b"y" * 61])     # 3 * 64 + 62 + 1 = 255
    assert dns.encode_name(out, 0, fits, len(fits)) == 255


def test_emit_query_byte_exact():
    out = bytearray(100)
    n = dns.emit_query(out, 4, 0x7A4E, QNAME, 0, len(QNAME), dns.TYPE_A)
    assert bytes(out[4:4 + n]) == QUERY_A


def test_header_fields():
    m = ANSWER_A
    assert dns.ident(m, 0) == 0x7A4E
    fl = dns.flags(m, 0)
    assert fl & dns.FLAG_QR and fl & dns.FLAG_AA and fl & DNS.FLAG_RD and fl & DNS.FLAG_RA
    assert not fl & DNS.FLAG_TC
    assert dns.opcode(fl) == 0 and fl & DNS.RCODE_MASK == DNS.RCODE_NOERROR
    assert dns.qdcount(m, 0) == 1 and dns.ancount(m, 0) == 1
    assert dns.flags(ANSWER_NXDOMAIN, 0) & DNS.RCODE_MASK == DNS.RCODE_NXDOMAIN
    assert dns.flags(ANSWER_REFUSED, 0) & DNS.RCODE_MASK == DNS.RCODE_REFUSED


def test_dnsmasq_answers():
    assert _answers(ANSWER_A, QNAME) == (1, ["192.0.2.77"])
    assert _answers(ANSWER_CNAME_A, ALIAS) == (1, ["192.0.2.77"])
    assert _answers(ANSWER_MULTI, MULTI) == (2, ["192.0.2.78", "192.0.2.79"])
    assert _answers(ANSWER_MULTI, MULTI, maxn=1) == (1, ["192.0.2.78"])
    assert _answers(ANSWER_AAAA, QNAME, dns.TYPE_AAAA) == (1, ["2001:db8::77"])
    assert _answers(ANSWER_CNAME_AAAA, ALIAS, dns.TYPE_AAAA) == (1, ["2001:db8::77"])
    assert _answers(ANSWER_NXDOMAIN, NOPE) == (0, [])


def test_question_must_match():
    assert _answers(ANSWER_A, ALIAS)[0] == DNS.ERR_QUESTION             # other name
    assert _answers(ANSWER_A, QNAME, dns.TYPE_AAAA)[0] == DNS.ERR_QUESTION   # other type
    upper = hexbytes("07 534d4f4c4e4554 07 4578416d706c65 00")          # SMOLNET.ExAmple
    assert _answers(ANSWER_A, upper) == (1, ["192.0.2.77"])             # RFC 4343
    b = bytearray(ANSWER_A)
    b[5] = 2                                                            # qdcount 2
    assert _answers(b, QNAME)[0] == DNS.ERR_QUESTION
    b = bytearray(ANSWER_A)
    b[12 + 17 + 3] = 3                                                  # class CH
    assert _answers(b, QNAME)[0] == DNS.ERR_QUESTION
    assert dns.question_end(ANSWER_A, 0, len(ANSWER_A), QNAME, 0, len(QNAME), 1) == 33


def test_only_records_for_the_name_and_type_count():
    # an extra A record for another name and a TXT record for ours
    m = hexbytes(
        "0001 8180 0001 0003 0000 0000"
        "07736d6f6c6e6574 076578616d706c65 00 0001 0001"
        "03 6f7468 c014 0001 0001 00000010 0004 c6336401"     # oth.example A
        "c00c 0010 0001 00000010 0003 02 6869"                # TXT "hi"
        "c00c 0001 0001 00000010 0004 c0000201"               # the one
        "c00c 0001 0003 00000010 0004 c0000202")              # class CH: not IN
    b = bytearray(m)
    b[7] = 4
    assert _answers(b, QNAME) == (1, ["192.0.2.1"])
    # rdata of the wrong length for an A record is skipped
    m = hexbytes("0001 8180 0001 0001 0000 0000"
                 "07736d6f6c6e6574 076578616d706c65 00 0001 0001"
                 "c00c 0001 0001 00000010 0005 c000020100")
    assert _answers(m, QNAME) == (0, [])


def test_rfc1035_compression_example():
    # RFC 1035 4.1.4: F.ISI.ARPA at 20, FOO.F.ISI.ARPA as a label and a
    # pointer to 20, ARPA as a pointer to 26 (offsets from the message start)
    b = bytearray(80)
    b[20:32] = hexbytes("01 46 03 495349 04 41525041 00")
    b[40:46] = hexbytes("03 464f4f c014")
    b[64:66] = hexbytes("c01a")
    foo = hexbytes("03 666f6f 01 66 03 697369 04 61727061 00")
    arpa = hexbytes("04 61727061 00")
    assert dns.name_equal(b, 0, 80, 40, foo, 0, len(foo), 0)
    assert dns.name_equal(b, 0, 80, 64, arpa, 0, len(arpa), 0)
    assert dns.name_equal(b, 0, 80, 44, b, 0, 80, 20)      # the pointer vs the name
    assert not dns.name_equal(b, 0, 80, 40, arpa, 0, len(arpa), 0)
    assert name_str(b, 0, 80, 40) == "FOO.F.ISI.ARPA"
    assert name_str(b, 0, 80, 64) == "ARPA"
    assert dns.skip_name(b, 80, 40) == 46
    assert dns.skip_name(b, 80, 20) == 32
    assert dns.skip_name(b, 80, 64) == 66


def test_bad_pointers_are_not_followed():
    q = hexbytes("01 61 00")
    cases = (
        "c000",                 # points at itself
        "c002 0161 00",         # points forward
        "0161 c000",            # label then a pointer back to it: a cycle
        "c004 0000 c000",       # to a pointer back to the first: a cycle
        "0161",                 # runs past the end
        "4161 00",              # reserved label type 01
        "8161 00",              # reserved label type 10
        "c0",                   # half a pointer
    )
    for c in cases:
        b = hexbytes(c)
        assert not dns.name_equal(b, 0, len(b), 0, q, 0, len(q), 0), c
        assert name_str(b, 0, len(b), 0) is None, c
    # a cycle of labels through a backward pointer stops at 255 bytes
    b = hexbytes("3f" + "61" * 63 + "c000")
    assert not dns.name_equal(b, 0, len(b), 0, b, 0, len(b), 0)
    # a long chain of pointers to pointers stops after a few hops
    b = bytearray(b"\x01a\x00")
    for i in range(20):
        b += bytes((0xC0, len(b) - 2 if i else 0))
    assert dns.name_equal(b, 0, len(b), len(b) - 2, q, 0, len(q), 0) is False
    assert dns.name_equal(b, 0, len(b), 3 + 2 * 3, q, 0, len(q), 0)   # 4 hops: fine


def test_cname_loop_and_long_chain_end():
    # a -> b -> a: no address, no hang
    m = hexbytes(
        "0001 8180 0001 0002 0000 0000"
        "0161 00 0001 0001"
        "c00c 0005 0001 00000000 0004 0162 c00e"       # a CNAME b (b. = 01 62 + root at 14)
        "0162 c00e 0005 0001 00000000 0002 c00c")      # b CNAME a
    # the root the pointers c00e name is the zero byte at offset 14
    assert _answers(m, hexbytes("0161 00")) == (0, [])


def test_malformed_answer_sections():
    base = ANSWER_CNAME_A
    # every cut of the message: a result, never an exception
    for n in range(len(base)):
        out = bytearray(16)
        k = dns.answers(base, 0, n, ALIAS, 0, len(ALIAS), dns.TYPE_A, out, 0, 4)
        assert k in (DNS.ERR_QUESTION, DNS.ERR_MALFORMED), n
    # rdlength past the end
    b = bytearray(ANSWER_A)
    b[len(b) - 5] = 9
    assert _answers(b, QNAME)[0] == DNS.ERR_MALFORMED
    # an answer whose owner name points at itself: the message is bad
    b = bytearray(ANSWER_A)
    b[33] = 0xC0
    b[34] = 33
    assert _answers(b, QNAME)[0] == DNS.ERR_MALFORMED
    assert not dns.name_valid(b, 0, len(b), 33)
    assert dns.name_valid(ANSWER_A, 0, len(ANSWER_A), 33)
    # ancount larger than the records present
    b = bytearray(ANSWER_A)
    b[7] = 2
    assert _answers(b, QNAME)[0] == DNS.ERR_MALFORMED
    # a CNAME whose data is not a name of exactly rdlength bytes is not
    # followed (the records still parse: the next one starts at the root)
    b = bytearray(ANSWER_CNAME_A)
    b[12 + 19 + 2 + 8 + 1] = 0x10                    # rdlength 17 -> 16
    assert _answers(b, ALIAS) == (0, [])


def test_random_damage_never_raises():
    rng = Prng(1035)
    out = bytearray(64)
    for src, qname, qtype in ((ANSWER_CNAME_A, ALIAS, dns.TYPE_A),
                              (ANSWER_MULTI, MULTI, dns.TYPE_A),
                              (ANSWER_CNAME_AAAA, ALIAS, dns.TYPE_AAAA)):
        buf = bytearray(len(src))
        for _ in range(300):
            buf[:] = src
            for _ in range(1 + rng.below(4)):
                buf[rng.below(len(src))] = rng.byte()
            k = dns.answers(buf, 0, len(buf), qname, 0, len(qname), qtype, out, 0, 4)
            assert -2 <= k <= 4
            name_str(buf, 0, len(buf), 12)
            dns.skip_name(buf, len(buf), 12)


def test_offsets_inside_a_larger_buffer():
    # the message sits at an offset in a frame: pointers count from its start
    frame = bytearray(42) + bytearray(ANSWER_CNAME_A) + bytearray(7)
    out = bytearray(8)
    k = dns.answers(frame, 42, len(ANSWER_CNAME_A), ALIAS, 0, len(ALIAS), dns.TYPE_A, out, 2, 1)
    assert k == 1 and bytes(out[2:6]) == ipaddr.parse4("192.0.2.77")
    assert name_str(frame, 42, 42 + len(ANSWER_CNAME_A), 42 + 12 + 19 + 12) == "smolnet.example"
