# Example app for the i.MX 6 SABRE Lite under qemu-system-arm -M sabrelite.
#
# Brings smolnet up on the i.MX 6 ENET with a static address and polls it for
# ever: it answers ARP and ping. The address suits QEMU's user networking
# (-nic user: guest 192.0.2.15, gateway 192.0.2.2); with -nic tap give it an
# address on the tap's network and ping it from the host.
#
# Frozen into the firmware by firmware/boards/QEMU_SABRELITE/manifest.py (there is no
# filesystem); the qemu port runs no main.py at boot, so at the REPL:
#   >>> import main
#
# The bring-up is the two lines `nic = ...` and `iface = ...`; wiring:
#   ENET memory-mapped at 0x02188000 (QEMU's imx.enet); no interrupt: poll mode
import time
from smolnet.iface.interface import Interface
from boards.nxpenet import NXPENET

ADDRESS = "192.0.2.15/24"  # this board, with the prefix length of its network
GATEWAY = "192.0.2.2"  # the router; None on an isolated link

nic = NXPENET(base=0x02188000, phy_addr=6)  # QEMU's imx.enet and its PHY
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
