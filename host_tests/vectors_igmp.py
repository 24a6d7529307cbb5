# IGMP frames from the Linux 6.18 kernel, captured with an AF_PACKET socket
# on the far end of a veth pair in a throwaway network namespace: the kernel
# at 192.0.2.1 / 02:00:00:00:00:aa joined 233.252.0.1 (RFC 5771 documentation
# block) with setsockopt(IP_ADD_MEMBERSHIP) and left it with
# IP_DROP_MEMBERSHIP; /proc/sys/net/ipv4/conf/<if>/force_igmp_version was 0,
# 2 or 1. The queries (QUERY_*) are ours, built by a small script and
# injected from the peer 192.0.2.9 / 02:00:00:00:00:09: the kernel answered
# each with the *_ANSWER frame, which shows it accepted them. Every frame is
# 14 Ethernet + 24 IPv4 (tos 0xc0, DF, TTL 1, Router Alert 94 04 00 00) +
# IGMP, as captured (the kernel's ident is 0; frames unpadded).


def _h(s):
    return bytes.fromhex(s.replace(" ", ""))


KERNEL_MAC = _h("02 00 00 00 00 aa")
KERNEL_IP = _h("c0 00 02 01")
QUERIER_MAC = _h("02 00 00 00 00 09")
QUERIER_IP = _h("c0 00 02 09")
GROUP = _h("e9 fc 00 01")        # 233.252.0.1
GROUP2 = _h("e9 fc 00 02")       # 233.252.0.2

# the join (force_igmp_version 0): a v3 report to 224.0.0.22 with one
# CHANGE_TO_EXCLUDE{} record; sent twice, 0.4 s apart
V3_JOIN_BYTES = _h(
    "01005e000016 0200000000aa 0800"
    "46c0 0028 0000 4000 0102 41f8 c0000201 e0000016 94040000"
    "22 00 f000 0000 0001  04 00 0000 e9fc0001")

# the leave: CHANGE_TO_INCLUDE{}, also sent twice
V3_LEAVE_BYTES = _h(
    "01005e000016 0200000000aa 0800"
    "46c0 0028 0000 4000 0102 41f8 c0000201 e0000016 94040000"
    "22 00 f100 0000 0001  03 00 0000 e9fc0001")

# the answer to QUERY_V3_GENERAL (and QUERY_V3_GROUP): MODE_IS_EXCLUDE{}
V3_ANSWER_BYTES = _h(
    "01005e000016 0200000000aa 0800"
    "46c0 0028 0000 4000 0102 41f8 c0000201 e0000016 94040000"
    "22 00 f200 0000 0001  02 00 0000 e9fc0001")

# joined to 233.252.0.1 and 233.252.0.2 at once: one report of two records
V3_JOIN2_BYTES = _h(
    "01005e000016 0200000000aa 0800"
    "46c0 0030 0000 4000 0102 41f0 c0000201 e0000016 94040000"
    "22 00 0201 0000 0002  04 00 0000 e9fc0002  04 00 0000 e9fc0001")

# ... and its answer to a general query
V3_ANSWER2_BYTES = _h(
    "01005e000016 0200000000aa 0800"
    "46c0 0030 0000 4000 0102 41f0 c0000201 e0000016 94040000"
    "22 00 0601 0000 0002  02 00 0000 e9fc0002  02 00 0000 e9fc0001")

# force_igmp_version 2 (and, the same bytes, a v3 host after hearing
# QUERY_V2_GENERAL): a v2 Membership Report to the group's own MAC/address
V2_REPORT_BYTES = _h(
    "01005e7c0001 0200000000aa 0800"
    "46c0 0020 0000 4000 0102 3819 c0000201 e9fc0001 94040000"
    "16 00 0002 e9fc0001")

# ... and its Leave Group to 224.0.0.2
V2_LEAVE_BYTES = _h(
    "01005e000002 0200000000aa 0800"
    "46c0 0020 0000 4000 0102 4214 c0000201 e0000002 94040000"
    "17 00 ff01 e9fc0001")

# force_igmp_version 1: a v1 report (the kernel adds Router Alert here too);
# nothing is sent on leave
V1_REPORT_BYTES = _h(
    "01005e7c0001 0200000000aa 0800"
    "46c0 0020 0000 4000 0102 3819 c0000201 e9fc0001 94040000"
    "12 00 0402 e9fc0001")

# our queries, from 192.0.2.9 to 224.0.0.1 (the group-specific one to the
# group), TTL 1, Router Alert
# v3 general: Max Resp Code 10 (1 s), S 0, QRV 2, QQIC 125, no sources
QUERY_V3_GENERAL_BYTES = _h(
    "01005e000001 020000000009 0800"
    "46c0 0024 0000 4000 0102 4209 c0000209 e0000001 94040000"
    "11 0a ec78 00000000 02 7d 0000")

# v3 group-specific for 233.252.0.1
QUERY_V3_GROUP_BYTES = _h(
    "01005e7c0001 020000000009 0800"
    "46c0 0024 0000 4000 0102 380d c0000209 e9fc0001 94040000"
    "11 0a 027b e9fc0001 02 7d 0000")

# v2 general, Max Resp Time 10 (1 s)
QUERY_V2_GENERAL_BYTES = _h(
    "01005e000001 020000000009 0800"
    "46c0 0020 0000 4000 0102 420d c0000209 e0000001 94040000"
    "11 0a eef5 00000000")

# v1 general (code 0: the querier is IGMPv1)
QUERY_V1_GENERAL_BYTES = _h(
    "01005e000001 020000000009 0800"
    "46c0 0020 0000 4000 0102 420d c0000209 e0000001 94040000"
    "11 00 eeff 00000000")
