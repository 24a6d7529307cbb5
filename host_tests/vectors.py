# Frames captured from the Linux 6.x kernel in a network namespace (veth,
# kernel at 192.0.2.1 / 02:00:00:00:00:aa, peer 192.0.2.2 / 02:00:00:00:00:01),
# named after what they are. Used by the wire and interface tests.


def _h(s):
    return bytes.fromhex(s.replace(" ", ""))


KERNEL_MAC = _h("02 00 00 00 00 aa")
PEER_MAC = _h("02 00 00 00 00 01")
KERNEL_IP = _h("c0 00 02 01")
PEER_IP = _h("c0 00 02 02")

# who-has 192.0.2.2 tell 192.0.2.1
ARP_REQUEST_BYTES = _h(
    "ffffffffffff 0200000000aa 0806"
    "0001 0800 06 04 0001 0200000000aa c0000201 000000000000 c0000202")

# 192.0.2.1 is-at 02:00:00:00:00:aa (the kernel answering 192.0.2.2)
ARP_REPLY_BYTES = _h(
    "020000000001 0200000000aa 0806"
    "0001 0800 06 04 0002 0200000000aa c0000201 020000000001 c0000202")

# ping -s 56 -p 61 192.0.2.2: ident 0x2051, seq 1, 16-byte timestamp then 'a'*40
ECHO_REQUEST_BYTES = _h(
    "020000000001 0200000000aa 0800"
    "4500 0054 3ef8 4000 4001 77ad c0000201 c0000202"
    "0800 39b6 2051 0001 805b026b00000000 73950c0000000000"
    + "61" * 40)

# echo -n hello | socat - UDP:192.0.2.2:6969,sourceport=40000
# (captured with `ethtool -K veth tx off`: with offload on, veth frames carry
# only the pseudo-header sum in the UDP checksum field)
UDP_HELLO_BYTES = _h(
    "020000000001 0200000000aa 0800"
    "4500 0021 14b2 4000 4011 a216 c0000201 c0000202"
    "9c40 1b39 000d 8084 68656c6c6f")
