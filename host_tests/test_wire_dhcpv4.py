# runtimes: cpython unix wasm
# DHCPv4 codec (smolnet.wire.dhcpv4) against messages dnsmasq 2.90 sent in a
# namespace, smolnet's own DISCOVER/REQUEST as captured there, hand-built
# overload cases and malformed inputs.
from smolnet.wire import dhcpv4 as dh
from smolnet.wire import ipaddr
from wire_names import DHCP
from support import hexbytes
from prng import Prng


def _bootp(head, options):
    """A 300-byte BOOTP message: op..chaddr (44 bytes of hex), zero sname
    and file, the magic cookie, options, zero padding."""
    b = hexbytes(head) + bytes(64 + 128) + hexbytes("63 82 53 63") + hexbytes(options)
    return b + bytes(300 - len(b))


CLIENT_MAC = hexbytes("02 00 00 00 00 05")
XID = hexbytes("ce 20 df ff")

# smolnet's DISCOVER (tools/dhcp.py --hostname smolboard, MAC 02:00:00:00:00:05)
SMOLNET_DISCOVER = _bootp(
    "01 01 06 00  ce 20 df ff  00 00 80 00"      # op htype hlen hops, xid, secs, flags
    "00000000 00000000 00000000 00000000"        # ciaddr yiaddr siaddr giaddr
    "020000000005 00000000000000000000",         # chaddr
    "35 01 01"                                   # DHCPDISCOVER
    "3d 07 01 020000000005"                      # client id: Ethernet, MAC
    "39 02 05dc"                                 # max message size 1500
    "0c 09 736d6f6c626f617264"                   # host name "smolboard"
    "37 06 01 03 06 33 3a 3b"                    # parameter request list
    "ff")

# dnsmasq's OFFER of 192.0.2.67: lease 1 h, T1 30 min, T2 52.5 min
DNSMASQ_OFFER = _bootp(
    "02 01 06 00  ce 20 df ff  00 00 80 00"
    "00000000 c0000243 c0000201 00000000"        # yiaddr 192.0.2.67, siaddr 192.0.2.1
    "020000000005 00000000000000000000",
    "35 01 02"                                   # DHCPOFFER
    "36 04 c0000201"                             # server id 192.0.2.1
    "33 04 00000e10"                             # lease 3600 s
    "3a 04 00000708  3b 04 00000c4e"             # T1 1800, T2 3150
    "01 04 ffffff00"                             # mask /24
    "1c 04 c00002ff"                             # broadcast address
    "06 04 c0000201"                             # DNS 192.0.2.1
    "03 04 c0000201"                             # router 192.0.2.1
    "ff")

SMOLNET_REQUEST = _bootp(
    "01 01 06 00  ce 20 df ff  00 00 80 00"
    "00000000 00000000 00000000 00000000"
    "020000000005 00000000000000000000",
    "35 01 03"                                   # DHCPREQUEST
    "3d 07 01 020000000005"
    "32 04 c0000243"                             # requested 192.0.2.67
    "36 04 c0000201"                             # server id
    "39 02 05dc"
    "0c 09 736d6f6c626f617264"
    "37 06 01 03 06 33 3a 3b"
    "ff")

# the ACK differs from the OFFER only in its message type
DNSMASQ_ACK = bytes(DNSMASQ_OFFER[:242]) + b"\x05" + bytes(DNSMASQ_OFFER[243:])


def test_dnsmasq_offer_fields():
    b = DNSMASQ_OFFER
    n = len(b)
    assert dh.check(b, 0, n)
    assert dh.op(b, 0) == dh.OP_REPLY
    assert dh.xid_equal(b, 0, XID, 0)
    assert dh.chaddr_equal(b, 0, CLIENT_MAC, 0)
    assert dh.flags(b, 0) == 0x8000
    assert dh.message_type(b, 0, n) == DHCP.OFFER
    assert ipaddr.fmt4(b, DHCP.YIADDR) == "192.0.2.67"
    sid = dh.option_addr(b, 0, n, DHCP.OPT_SERVER_ID)
    assert ipaddr.fmt4(b, sid) == "192.0.2.1"
    assert dh.option_time(b, 0, n, DHCP.OPT_LEASE_TIME) == 3600
    assert dh.option_time(b, 0, n, DHCP.OPT_T1) == 1800
    assert dh.option_time(b, 0, n, DHCP.OPT_T2) == 3150
    m = dh.option_addr(b, 0, n, DHCP.OPT_SUBNET_MASK)
    assert dh.mask_prefix(b, m) == 24
    assert ipaddr.fmt4(b, dh.option_addr(b, 0, n, DHCP.OPT_ROUTER)) == "192.0.2.1"
    v = dh.find_option(b, 0, n, DHCP.OPT_DNS)
    assert b[v - 1] == 4 and ipaddr.fmt4(b, v) == "192.0.2.1"
    assert dh.find_option(b, 0, n, DHCP.OPT_HOSTNAME) == -1
    assert dh.message_type(DNSMASQ_ACK, 0, n) == dh.ACK


def test_client_messages_parse():
    for msg, mt in ((SMOLNET_DISCOVER, dh.DISCOVER), (SMOLNET_REQUEST, dh.REQUEST)):
        assert dh.check(msg, 0, len(msg))
        assert dh.op(msg, 0) == dh.OP_REQUEST
        assert dh.message_type(msg, 0, len(msg)) == mt
    r = SMOLNET_REQUEST
    assert ipaddr.fmt4(r, dh.option_addr(r, 0, len(r), DHCP.OPT_REQUESTED_IP)) == "192.0.2.67"


def test_emit_discover_byte_exact():
    out = bytearray(400)
    p = dh.emit_header(out, 10, dh.OP_REQUEST, XID, 0, 0, 0x8000, None, 0, CLIENT_MAC, 0)
    assert p == 10 + dh.OPTIONS
    p = dh.put_u8(out, p, DHCP.OPT_MESSAGE_TYPE, dh.DISCOVER)
    p = dh.put_bytes(out, p, DHCP.OPT_CLIENT_ID, b"\x01" + CLIENT_MAC, 0, 7)
    p = dh.put_u16(out, p, DHCP.OPT_MAX_SIZE, 1500)
    p = dh.put_bytes(out, p, DHCP.OPT_HOSTNAME, b"smolboard", 0, 9)
    p = dh.put_bytes(out, p, DHCP.OPT_PARAM_REQUEST, b"\x01\x03\x06\x33\x3a\x3b", 0, 6)
    n = dh.put_end(out, 10, p)
    assert n == 300
    assert bytes(out[10:310]) == SMOLNET_DISCOVER


def test_emit_header_clears_old_bytes_and_sets_ciaddr():
    out = bytearray(b"\xaa" * 300)
    ci = ipaddr.parse4("192.0.2.67")
    p = dh.emit_header(out, 0, dh.OP_REQUEST, XID, 0, 513, 0, ci, 0, CLIENT_MAC, 0)
    n = dh.put_end(out, 0, p)
    assert n == 300 and dh.check(out, 0, n)
    assert ipaddr.fmt4(out, DHCP.CIADDR) == "192.0.2.67"
    assert dh.secs(out, 0) == 513 and dh.flags(out, 0) == 0
    assert bytes(out[DHCP.YIADDR:DHCP.CHADDR]) == bytes(12)
    assert bytes(out[DHCP.CHADDR + 6:236]) == bytes(236 - DHCP.CHADDR - 6)
    assert dh.message_type(out, 0, n) == 0       # no type option


def test_put_end_no_padding_past_300():
    out = bytearray(600)
    p = dh.emit_header(out, 0, dh.OP_REQUEST, XID, 0, 0, 0, None, 0, CLIENT_MAC, 0)
    for i in range(3):
        p = dh.put_bytes(out, p, 200 + i, bytes(40), 0, 40)
    assert dh.put_end(out, 0, p) == p + 1


def test_times_clamped_and_infinite():
    for raw, want in (("00000000", 0), ("3fffffff", 0x3FFFFFFF), ("40000000", 0x3FFFFFFF),
                      ("fffffffe", 0x3FFFFFFF), ("ffffffff", dh.INFINITE),
                      ("00278d00", 2592000)):
        m = _bootp("02 01 06 00 ce20dfff 0000 0000" + "00" * 16 + "020000000005" + "00" * 10,
                   "35 01 05 33 04" + raw + "ff")
        assert dh.option_time(m, 0, len(m), DHCP.OPT_LEASE_TIME) == want, raw
    m = _bootp("02 01 06 00 ce20dfff 0000 0000" + "00" * 16 + "020000000005" + "00" * 10,
               "35 01 05 33 03 000e10 ff")         # wrong length
    assert dh.option_time(m, 0, len(m), DHCP.OPT_LEASE_TIME) == -2
    assert dh.option_time(m, 0, len(m), DHCP.OPT_T1) == -2


def test_mask_prefix():
    for mask, plen in (("255.255.255.0", 24), ("255.255.255.255", 32), ("0.0.0.0", 0),
                       ("255.255.254.0", 23), ("255.128.0.0", 9), ("255.255.255.252", 30)):
        assert dh.mask_prefix(ipaddr.parse4(mask), 0) == plen, mask
    for mask in ("255.0.255.0", "255.255.255.1", "0.255.255.255", "254.255.0.0"):
        assert dh.mask_prefix(ipaddr.parse4(mask), 0) == -1, mask


def _with_overload(which):
    """An ACK whose options field holds only the type and the overload
    option; the server id is in file (1) or sname (2)."""
    b = bytearray(_bootp("02 01 06 00 ce20dfff 0000 0000" + "00" * 16 + "020000000005" + "00" * 10,
                         "35 01 05 34 01 %02x ff" % which))
    area = 108 if which == 1 else 44
    opt = hexbytes("00 36 04 c0000209 33 04 00000e10 ff")   # a pad first
    b[area:area + len(opt)] = opt
    return bytes(b)


def test_option_overload_file_and_sname():
    for which in (1, 2, 3):
        m = _with_overload(which)
        n = len(m)
        assert dh.check(m, 0, n)
        assert ipaddr.fmt4(m, dh.option_addr(m, 0, n, DHCP.OPT_SERVER_ID)) == "192.0.2.9"
        assert dh.option_time(m, 0, n, DHCP.OPT_LEASE_TIME) == 3600
    # without the overload option the same bytes are a file name, not options
    m = bytearray(_with_overload(1))
    m[243] = 0   # the overload option's code becomes a pad...
    m[244] = 0
    m[245] = 0   # ...and so do its length and value
    assert dh.check(m, 0, len(m))
    assert dh.option_addr(m, 0, len(m), DHCP.OPT_SERVER_ID) == -1


def test_overload_area_malformed():
    m = bytearray(_with_overload(1))
    m[108 + 2] = 200      # the server id option runs past the file field
    assert not dh.check(m, 0, len(m))


def test_missing_end_option_tolerated():
    b = bytearray(DNSMASQ_OFFER)
    end = 240 + 3 + 6 + 6 + 12 + 6 + 6 + 6 + 6
    assert b[end] == 0xFF
    n = end  # the message stops right where END would be
    assert dh.check(b, 0, n)
    assert ipaddr.fmt4(b, dh.option_addr(b, 0, n, DHCP.OPT_ROUTER)) == "192.0.2.1"


def test_malformed_rejected():
    good = DNSMASQ_OFFER
    assert not dh.check(good, 0, 239)                # shorter than header + cookie
    for i, v in ((236, 0), (239, 0x64), (1, 6), (2, 16)):   # cookie, htype, hlen
        b = bytearray(good)
        b[i] = v
        assert not dh.check(b, 0, len(b)), i
    b = bytearray(good)
    b[244] = 0xF0                                    # server id length past the end
    assert not dh.check(b, 0, len(b))
    b = bytearray(good[:241])                        # option code, no length byte
    b[240] = 0x35
    assert not dh.check(b, 0, 241)
    # an option whose value is cut by the message length
    assert not dh.check(good, 0, 240 + 3 + 4)
    # lengths too short for their type are not believed
    b = bytearray(_bootp("02 01 06 00 ce20dfff 0000 0000" + "00" * 16 + "020000000005" + "00" * 10,
                         "35 02 05 05 36 03 c00002 03 00 ff"))
    n = len(b)
    assert dh.check(b, 0, n)
    assert dh.message_type(b, 0, n) == 0
    assert dh.option_addr(b, 0, n, DHCP.OPT_SERVER_ID) == -1
    assert dh.option_addr(b, 0, n, DHCP.OPT_ROUTER) == -1


def test_truncations_and_random_damage_never_raise():
    # every prefix of the offer and random byte damage: answers, no exceptions
    rng = Prng(2131)
    src = DNSMASQ_OFFER
    for n in range(0, len(src) + 1, 3):
        if dh.check(src, 0, n):
            dh.message_type(src, 0, n)
            dh.option_time(src, 0, n, DHCP.OPT_LEASE_TIME)
    buf = bytearray(len(src) + 8)
    for k in range(300):
        buf[0:len(src)] = src
        for _ in range(1 + rng.below(6)):
            buf[236 + rng.below(len(src) - 236)] = rng.byte()
        n = 236 + rng.below(len(src) - 236 + 1)
        if dh.check(buf, 0, n):
            for code in (DHCP.OPT_MESSAGE_TYPE, DHCP.OPT_SERVER_ID, DHCP.OPT_DNS, DHCP.OPT_LEASE_TIME):
                v = dh.find_option(buf, 0, n, code)
                assert v == -1 or 0 < v <= n
                if v >= 240:
                    assert v + buf[v - 1] <= n
                elif v >= 0:   # in the overloaded file or sname field
                    assert 44 < v and v + buf[v - 1] <= 236
            dh.option_time(buf, 0, n, DHCP.OPT_T2)
            m = dh.option_addr(buf, 0, n, DHCP.OPT_SUBNET_MASK)
            if m >= 0:
                dh.mask_prefix(buf, m)
