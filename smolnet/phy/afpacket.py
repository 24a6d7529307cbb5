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
import sys
import socket
import struct
import select
from ..fast import copy
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
        self._poller = select.poll()
        self._poller.register(s, select.POLLIN)
        self.poll_obj = s
        self.rx_errors = 0
        self.tx_errors = 0

    def recv_into(self, buf):
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
