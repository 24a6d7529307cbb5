# Example app for the PJRC Teensy 4.1 (with the Ethernet kit).
#
# Brings smolnet up on the i.MX RT ENET with a static address and polls it for
# ever: the board answers ARP and ping (try `ping 192.0.2.50` from a computer on
# the same link). Edit ADDRESS and GATEWAY for your network.
#
# On the board: make deploy PORT=/dev/ttyACM0 BOARD=TEENSY41 APP=1
# (installs smolnet and the driver with mip, copies this file as :main.py),
# or freeze it: make firmware BOARD=TEENSY41 MPY_DIR=... FREEZE_MAIN=1
#
# The bring-up is the two lines `nic = ...` and `iface = ...`; wiring:
#   on-board RMII to a DP83825I; the RJ45 comes with PJRC's Ethernet kit
import time
from smolnet.iface.interface import Interface
from boards.nxpenet import NXPENET

ADDRESS = "192.0.2.50/24"  # this board, with the prefix length of its network
GATEWAY = "192.0.2.1"  # the router; None on an isolated link

# Cortex-M7: MicroPython's mimxrt port runs with the D-cache on, and the ENET
# DMA does not see the cache. Descriptors and buffers must sit in memory the
# cache does not hold (boards/nxpenet/README.md, "Caches"): pass it as DMA,
# e.g. uctypes.bytearray_at(addr, NXPENET.dma_size()) in DTCM or an MPU
# region made non-cacheable. With DMA = None (cached OCRAM) frames go stale.
# The ENET clock, PLL, pins and PHY reset are the firmware's: a build with
# MicroPython's own Ethernet does them (do not activate its network.LAN).
DMA = None
nic = NXPENET(dma=DMA)  # ENET1 at 0x402D8000, the DP83825I at PHY address 0
iface = Interface(nic)
iface.add_ip(ADDRESS)
if GATEWAY:
    iface.routes.add_default(GATEWAY)
print("smolnet up:", iface.ips(), "mac", ":".join("%02x" % b for b in nic.mac),
      "link", nic.link_up())

# The poll loop: poll() does whatever is due, and as this loop uses no
# interrupt, asking is the only way to learn of a frame: it sleeps 1 ms when
# idle. (An asyncio app would await the driver's interrupt flag instead.)
while True:
    if not iface.poll(time.ticks_ms()):
        time.sleep_ms(1)
