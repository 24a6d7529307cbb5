# Example app for the ST NUCLEO-F429ZI (on-board Ethernet).
#
# Brings smolnet up on the STM32 ETH MAC with a static address and polls it for
# ever: the board answers ARP and ping (try `ping 192.0.2.50` from a computer on
# the same link). Edit ADDRESS and GATEWAY for your network.
#
# On the board: make deploy PORT=/dev/ttyACM0 BOARD=NUCLEO_F429ZI APP=1
# (installs smolnet and the driver with mip, copies this file as :main.py),
# or freeze it: make firmware BOARD=NUCLEO_F429ZI MPY_DIR=... FREEZE_MAIN=1
#
# The bring-up is the two lines `nic = ...` and `iface = ...`; wiring:
#   on-board RMII to a LAN8742A: nothing to wire, plug the RJ45
import time
from smolnet.iface.interface import Interface
from boards.stm32eth import STM32ETH
from boards.stm32eth.board import enable_rmii, NUCLEO_144

ADDRESS = "192.0.2.50/24"  # this board, with the prefix length of its network
GATEWAY = "192.0.2.1"  # the router; None on an isolated link

enable_rmii(NUCLEO_144)  # clocks, RMII mode, pins (skip if network.LAN already ran)
nic = STM32ETH()  # ETH at 0x40028000, the LAN8742A at PHY address 0
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
