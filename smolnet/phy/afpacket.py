# AfPacket: a device on an existing Linux interface through an AF_PACKET raw
# socket (MicroPython unix port or CPython; needs CAP_NET_RAW). Non-blocking:
# each readinto returns exactly one frame or nothing, each write sends one
# frame, neither allocating on the unix port.
#
# The interface's own MAC is used unless mac= is given (then the interface
# must be promiscuous to see frames for it).
import sys
import socket
import struct
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

    def __init__(self, ifname, mac=None, mtu=None):
        self.ifname = ifname
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
        self.poll_obj = s
        self.rx_errors = 0
        self.tx_errors = 0

    def recv_into(self, buf):
        try:
            if _MP:
                n = self.sock.readinto(buf)
            else:
                n = self.sock.recv_into(buf)
        except OSError:
            # CPython raises BlockingIOError when empty; anything else counts
            if not _MP:
                return 0
            self.rx_errors += 1
            return 0
        return n if n else 0

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
