# Example app for the Arm MPS2 AN385 under qemu-system-arm -M mps2-an385.
#
# Brings smolnet up on the LAN9118 with a static address and polls it for
# ever: it answers ARP and ping. The address suits QEMU's user networking
# (-nic user: guest 192.0.2.15, gateway 192.0.2.2); with -nic tap give it an
# address on the tap's network and ping it from the host.
#
# Frozen into the firmware by firmware/boards/MPS2_AN385/manifest.py (there is no
# filesystem); the qemu port runs no main.py at boot, so at the REPL:
#   >>> import main
#
# The bring-up is the two lines `nic = ...` and `iface = ...`; wiring:
#   LAN9118 memory-mapped at 0x40200000 (QEMU's model); no interrupt: poll mode
import time
from smolnet.iface.interface import Interface
from boards.lan9118 import LAN9118

ADDRESS = "192.0.2.15/24"  # this board, with the prefix length of its network
GATEWAY = "192.0.2.2"  # the router; None on an isolated link

nic = LAN9118()  # base=0x40200000, MAC as QEMU loads it
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
