# MLD frames captured from the Linux 6.18 kernel in a network namespace
# (veth pair veth-a 02:00:00:00:00:aa / veth-b 02:00:00:00:00:bb, both in
# the namespace, 2001:db8::1 and ::2; later veth-a in a bridge br0,
# 02:00:00:00:00:cc, snooping and its own querier), with tshark on veth-b.
# Hosts joined with IPV6_JOIN_GROUP and left with IPV6_LEAVE_GROUP; MLDv1
# with net.ipv6.conf.veth-a.force_mld_version=1; queries from
# `ip link add br0 type bridge mcast_querier 1 mcast_mld_version 2` (and 1).
# Every message carries a Hop-by-Hop header with a Router Alert of value 0:
# hosts pad it with a PadN (01 00), the bridge with two Pad1 (00 00).


def _h(s):
    return bytes.fromhex(s.replace(" ", ""))


HOST_MAC = _h("02 00 00 00 00 aa")     # fe80::ff:fe00:aa
HOST_B_MAC = _h("02 00 00 00 00 bb")   # fe80::ff:fe00:bb, 2001:db8::2
BRIDGE_MAC = _h("02 00 00 00 00 cc")   # fe80::ff:fe00:cc
GROUP = _h("ff05 0000 0000 0000 0000 0000 0db8 0001")    # ff05::db8:1
GROUP2 = _h("ff05 0000 0000 0000 0000 0000 0db8 0002")   # ff05::db8:2
SOURCE = _h("2001 0db8 0000 0000 0000 0000 0000 0099")   # 2001:db8::99

# veth-a joins ff05::db8:1: an MLDv2 report to ff02::16 with one
# CHANGE_TO_EXCLUDE {} record (sent twice, 207 ms apart)
MLD2_JOIN_BYTES = _h(
    "333300000016 0200000000aa 86dd"
    "6000 0000 0024 00 01 fe80000000000000000000fffe0000aa ff020000000000000000000000000016"
    "3a 00 0502 0000 0100"
    "8f 00 62a5 0000 0001"
    "04 00 0000 ff05000000000000000000000db80001")

# ... and leaves it: CHANGE_TO_INCLUDE {} (also twice)
MLD2_LEAVE_BYTES = _h(
    "333300000016 0200000000aa 86dd"
    "6000 0000 0024 00 01 fe80000000000000000000fffe0000aa ff020000000000000000000000000016"
    "3a 00 0502 0000 0100"
    "8f 00 63a5 0000 0001"
    "03 00 0000 ff05000000000000000000000db80001")

# the same join and leave with force_mld_version=1: an MLDv1 report to the
# group, a done to ff02::2 (RFC 2710 3)
MLD1_REPORT_BYTES = _h(
    "33330db80001 0200000000aa 86dd"
    "6000 0000 0020 00 01 fe80000000000000000000fffe0000aa ff05000000000000000000000db80001"
    "3a 00 0502 0000 0100"
    "83 00 6504 0000 0000 ff05000000000000000000000db80001")
MLD1_DONE_BYTES = _h(
    "333300000002 0200000000aa 86dd"
    "6000 0000 0020 00 01 fe80000000000000000000fffe0000aa ff020000000000000000000000000002"
    "3a 00 0502 0000 0100"
    "84 00 71be 0000 0000 ff05000000000000000000000db80001")

# the bridge's MLDv2 general query: to ff02::1, Max Response Code 10000
# (10 s), S 0, QRV 2, QQIC 3 (mcast_query_interval 300 cs), no sources
MLD2_GENERAL_QUERY_BYTES = _h(
    "333300000001 0200000000cc 86dd"
    "6000 0000 0024 00 01 fe80000000000000000000fffe0000cc ff020000000000000000000000000001"
    "3a 00 0502 0000 0000"
    "82 00 5745 2710 0000 00000000000000000000000000000000 02 03 0000")

# veth-b's answer to it: MODE_IS_EXCLUDE {} for its two solicited-node
# groups (2001:db8::2 and fe80::ff:fe00:bb)
MLD2_CURRENT_STATE_BYTES = _h(
    "333300000016 0200000000bb 86dd"
    "6000 0000 0038 00 01 fe80000000000000000000fffe0000bb ff020000000000000000000000000016"
    "3a 00 0502 0000 0100"
    "8f 00 7277 0000 0002"
    "02 00 0000 ff0200000000000000000001ff000002"
    "02 00 0000 ff0200000000000000000001ff0000bb")

# veth-b left ff05::db8:1: the bridge's multicast-address-specific query
# (to the group, Max Response Code 1000, QRV 2, QQIC 125); its repeat sets
# S (Suppress Router-Side Processing, RFC 3810 5.1.7)
MLD2_SPECIFIC_QUERY_BYTES = _h(
    "33330db80001 0200000000cc 86dd"
    "6000 0000 0024 00 01 fe80000000000000000000fffe0000cc ff05000000000000000000000db80001"
    "3a 00 0502 0000 0000"
    "82 00 5f79 03e8 0000 ff05000000000000000000000db80001 02 7d 0000")
MLD2_SPECIFIC_QUERY_S_BYTES = _h(
    "33330db80001 0200000000cc 86dd"
    "6000 0000 0024 00 01 fe80000000000000000000fffe0000cc ff05000000000000000000000db80001"
    "3a 00 0502 0000 0000"
    "82 00 5779 03e8 0000 ff05000000000000000000000db80001 0a 7d 0000")

# veth-b joined ff05::db8:2 from source 2001:db8::99 only
# (MCAST_JOIN_SOURCE_GROUP): ALLOW_NEW_SOURCES with one source ...
MLD2_ALLOW_BYTES = _h(
    "333300000016 0200000000bb 86dd"
    "6000 0000 0034 00 01 fe80000000000000000000fffe0000bb ff020000000000000000000000000016"
    "3a 00 0502 0000 0100"
    "8f 00 3330 0000 0001"
    "05 00 0001 ff05000000000000000000000db80002"
    "20010db8000000000000000000000099")

# ... and after it left that source, the bridge's multicast-address-and-
# source-specific query naming it
MLD2_SOURCE_QUERY_BYTES = _h(
    "33330db80002 0200000000cc 86dd"
    "6000 0000 0034 00 01 fe80000000000000000000fffe0000cc ff05000000000000000000000db80002"
    "3a 00 0502 0000 0000"
    "82 00 3114 03e8 0000 ff05000000000000000000000db80002 02 7d 0001"
    "20010db8000000000000000000000099")

# br0's own first report, before it had a link-local address: from ::
# (RFC 3810 5.2.13), two CHANGE_TO_EXCLUDE records
MLD2_FROM_UNSPECIFIED_BYTES = _h(
    "333300000016 0200000000cc 86dd"
    "6000 0000 0038 00 01 00000000000000000000000000000000 ff020000000000000000000000000016"
    "3a 00 0502 0000 0100"
    "8f 00 6b3c 0000 0002"
    "04 00 0000 ff0200000000000000000001ff0000cc"
    "04 00 0000 ff02000000000000000000000000006a")

# the bridge as an MLDv1 querier (mcast_mld_version 1): a general query
# (Maximum Response Delay 3000 ms) ...
MLD1_GENERAL_QUERY_BYTES = _h(
    "333300000001 0200000000cc 86dd"
    "6000 0000 0020 00 01 fe80000000000000000000fffe0000cc ff020000000000000000000000000001"
    "3a 00 0502 0000 0000"
    "82 00 74a4 0bb8 0000 00000000000000000000000000000000")

# ... veth-b's MLDv1 answer for one of its solicited-node groups ...
MLD1_REPORT_SN_BYTES = _h(
    "3333ff0000bb 0200000000bb 86dd"
    "6000 0000 0020 00 01 fe80000000000000000000fffe0000bb ff0200000000000000000001ff0000bb"
    "3a 00 0502 0000 0100"
    "83 00 80f1 0000 0000 ff0200000000000000000001ff0000bb")

# ... and its query for ff05::db8:1 after veth-b's done, sent to ff02::1
# (RFC 3810 5.1.15: a query to any address of ours counts), 1000 ms
MLD1_SPECIFIC_QUERY_BYTES = _h(
    "333300000001 0200000000cc 86dd"
    "6000 0000 0020 00 01 fe80000000000000000000fffe0000cc ff020000000000000000000000000001"
    "3a 00 0502 0000 0000"
    "82 00 6fb5 03e8 0000 ff05000000000000000000000db80001")

# mcast_query_response_interval 6000 (60 s), mcast_query_interval 20000
# (200 s): the bridge wrote 60000 and 200 as they are, but both are past
# the plain range, so RFC 3810 5.1.3 / 5.1.9 readers (tshark too) take
# them as floats: 0xea60 is 3457024 ms, 0xc8 is 3072 s
MLD2_QUERY_FLOATS_BYTES = _h(
    "333300000001 0200000000cc 86dd"
    "6000 0000 0024 00 01 fe80000000000000000000fffe0000cc ff020000000000000000000000000001"
    "3a 00 0502 0000 0000"
    "82 00 932f ea60 0000 00000000000000000000000000000000 02 c8 0000")
