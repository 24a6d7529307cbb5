# TAP and TUN devices for CPython on Linux (/dev/net/tun). TAP carries
# Ethernet frames (MEDIUM_ETHERNET); TUN carries bare IP packets (MEDIUM_IP:
# the any-IP mode of netstack-smoltcp). Create the device inside the
# network namespace the test owns; the kernel side is configured with ip(8).
import os
import fcntl
import struct
from .device import MEDIUM_ETHERNET, MEDIUM_IP

_TUNSETIFF = 0x400454CA
_IFF_TUN = 0x0001
_IFF_TAP = 0x0002
_IFF_NO_PI = 0x1000


class _TunTap:
    flag = None

    def __init__(self, name, kind, mtu, mac):
        self.fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
        ifr = struct.pack("16sH", name.encode(), kind | _IFF_NO_PI)
        fcntl.ioctl(self.fd, _TUNSETIFF, ifr)
        self.name = name
        self.mtu = mtu
        self.mac = mac
        self.poll_obj = self
        self.tx_errors = 0

    def fileno(self):
        return self.fd

    def recv_into(self, buf):
        try:
            n = os.readv(self.fd, [buf])
        except BlockingIOError:
            return 0
        return n

    def send(self, buf, n):
        try:
            return os.write(self.fd, memoryview(buf)[:n]) == n
        except OSError:
            self.tx_errors += 1
            return False

    def link_up(self):
        return True

    def close(self):
        os.close(self.fd)


class Tap(_TunTap):
    medium = MEDIUM_ETHERNET

    def __init__(self, name, mac=b"\x02\x00\x00\x00\x00\x01", mtu=1514):
        super().__init__(name, _IFF_TAP, mtu, bytes(mac))


class Tun(_TunTap):
    medium = MEDIUM_IP

    def __init__(self, name, mtu=1500):
        super().__init__(name, _IFF_TUN, mtu, None)
