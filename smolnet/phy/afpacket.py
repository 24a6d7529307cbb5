# AfPacket: a device on an existing Linux interface through an AF_PACKET raw
# socket (MicroPython unix port or CPython; needs CAP_NET_RAW).
#
# Allocation: send() allocates nothing (stream write(buf, n) sends one
# frame). recv_into() on the unix port allocates the received frame: the
# port's sockets have no recv_into, and stream readinto() keeps reading until
# the buffer is full, gluing queued frames together and truncating the last
# one that does not fit, so it cannot return one frame. recv() does, at the
# price of a bytes object per frame; an empty poll costs a small list. This
# is a host device for tests and tools: board drivers have no such limit.
#
# The interface's own MAC is used unless mac= is given (then the interface
# must be promiscuous to see frames for it).
#
# Partial checksums: with TX checksum offload on at the kernel's end of a
# veth (the default), the kernel's TCP/UDP frames cross it with only the
# pseudo-header summed into the checksum field (CHECKSUM_PARTIAL); the kernel
# knows (PACKET_AUXDATA's TP_STATUS_CSUMNOTREADY), but the unix port's socket
# has no recvmsg to read that. So the pattern is recognised instead: a frame
# whose checksum field equals its pseudo-header sum and whose checksum fails.
# Such frames are still handed on (the Interface drops them as bad, as it
# must for a wire), counted in rx_partial_csum, and the first one prints a
# one-line hint with the fix, `ethtool -K <peer> tx off` (hint=None: quiet).
import sys
import socket
import struct
import select
from ..fast import copy, sum16
from .device import MEDIUM_ETHERNET

_AF_PACKET = 17
_SOCK_RAW = 3
_ETH_P_ALL_BE = 0x0300  # htons(ETH_P_ALL) on a little-endian host
_MP = sys.implementation.name == "micropython"


def _sysfs(ifname, leaf):
    with open("/sys/class/net/%s/%s" % (ifname, leaf)) as f:
        return f.read().strip()


class AfPacket:
    medium = MEDIUM_ETHERNET
    flag = None

    def __init__(self, ifname, mac=None, mtu=None, hint=print):
        self.ifname = ifname
        self.hint = hint
        self.rx_partial_csum = 0
        ifindex = int(_sysfs(ifname, "ifindex"))
        if mac is None:
            mac = bytes(int(x, 16) for x in _sysfs(ifname, "address").split(":"))
        self.mac = bytes(mac)
        self.mtu = mtu if mtu else int(_sysfs(ifname, "mtu")) + 14
        s = socket.socket(_AF_PACKET, _SOCK_RAW, _ETH_P_ALL_BE)
        if _MP:
            # struct sockaddr_ll: family, protocol (network order), ifindex,
            # hatype, pkttype, halen, addr[8]
            s.bind(struct.pack("<HHiHBB8s", _AF_PACKET, _ETH_P_ALL_BE, ifindex, 0, 0, 0, b""))
        else:
            s.bind((ifname, 0))
        s.setblocking(False)
        self.sock = s
        self._poller = select.poll()
        self._poller.register(s, select.POLLIN)
        self.poll_obj = s
        self.rx_errors = 0
        self.tx_errors = 0

    def recv_into(self, buf):
        n = self._recv(buf)
        if n and partial_csum(buf, n):
            self.rx_partial_csum += 1
            if self.rx_partial_csum == 1 and self.hint is not None:
                self.hint("smolnet: %s receives TCP/UDP frames with partial checksums (TX "
                          "checksum offload at the other end): run `ethtool -K %s tx off`"
                          % (self.ifname, _peer(self.ifname)))
        return n

    def _recv(self, buf):
        if not _MP:
            try:
                return self.sock.recv_into(buf)
            except BlockingIOError:
                return 0
            except OSError:
                self.rx_errors += 1
                return 0
        if not self._poller.poll(0):
            return 0
        try:
            d = self.sock.recv(len(buf))  # exactly one frame (see above)
        except OSError:
            self.rx_errors += 1
            return 0
        n = len(d)
        copy(buf, 0, d, 0, n)
        return n

    def send(self, buf, n):
        try:
            if _MP:
                r = self.sock.write(buf, n)
            else:
                r = self.sock.send(memoryview(buf)[:n])
        except OSError:
            self.tx_errors += 1
            return False
        return r == n

    def link_up(self):
        try:
            return _sysfs(self.ifname, "carrier") == "1"
        except OSError:
            return False

    def fileno(self):
        return self.sock.fileno()

    def close(self):
        self.sock.close()


def partial_csum(f, n):
    """True for an untagged IPv4/IPv6 TCP or UDP frame whose checksum field
    holds the folded pseudo-header sum (RFC 793 / RFC 768 / RFC 8200 8.1
    pseudo-header, as Linux leaves it for offload) and whose checksum does
    not verify. Cheap unless the field matches: then the payload is summed."""
    if n < 14 + 20 + 8:                       # veth frames are not padded to 60
        return False
    et = (f[12] << 8) | f[13]
    if et == 0x0800:
        ip = 14
        if f[ip] >> 4 != 4 or (f[ip + 6] & 0x3F) or f[ip + 7]:
            return False                      # not IPv4, or a fragment
        l4 = ip + (f[ip] & 0x0F) * 4
        total = (f[ip + 2] << 8) | f[ip + 3]
        proto = f[ip + 9]
        length = total - (l4 - ip)
        acc = sum16(f, ip + 12, 8, 0)          # source and destination
    elif et == 0x86DD:
        if n < 14 + 40 + 8:
            return False
        ip = 14
        l4 = ip + 40
        proto = f[ip + 6]                      # no extension headers
        length = (f[ip + 4] << 8) | f[ip + 5]
        acc = sum16(f, ip + 8, 32, 0)
    else:
        return False
    if proto == 6:
        field = l4 + 16
    elif proto == 17:
        field = l4 + 6
    else:
        return False
    if length < 8 or l4 + length > n or field + 2 > n:
        return False
    acc = sum16(f, 0, 0, acc + proto + length)   # folds the pseudo-header
    if (f[field] << 8) | f[field + 1] != acc:
        return False
    return sum16(f, l4, length, acc) != 0xFFFF


def _peer(ifname):
    """The other end of a veth when it is in this namespace, else "<peer>"."""
    try:
        import os
        link = _sysfs(ifname, "iflink")
        if link != _sysfs(ifname, "ifindex"):
            for name in os.listdir("/sys/class/net"):
                if _sysfs(name, "ifindex") == link:
                    return name
    except (OSError, ImportError, AttributeError):
        pass
    return "<peer>"
