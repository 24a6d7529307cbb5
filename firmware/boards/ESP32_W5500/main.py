# Example app for the ESP32 with a W5500 module.
#
# Brings smolnet up on the W5500 with a static address and polls it for
# ever: the board answers ARP and ping (try `ping 192.0.2.50` from a computer on
# the same link). Edit ADDRESS and GATEWAY for your network.
#
# On the board: make deploy PORT=/dev/ttyACM0 BOARD=ESP32_W5500 APP=1
# (installs smolnet and the driver with mip, copies this file as :main.py),
# or freeze it: make firmware BOARD=ESP32_W5500 MPY_DIR=... FREEZE_MAIN=1
#
# The bring-up is the two lines `nic = ...` and `iface = ...`; wiring:
#   SPI(2) SCK=GPIO18 MOSI=GPIO23 MISO=GPIO19, CS=GPIO5, RST=GPIO16, INT=GPIO4
#   (GPIO16 belongs to the PSRAM on WROVER modules: move RST there)
import time
from machine import Pin, SPI
from smolnet.iface.interface import Interface
from boards.w5500 import W5500

ADDRESS = "192.0.2.50/24"  # this board, with the prefix length of its network
GATEWAY = "192.0.2.1"  # the router; None on an isolated link

spi = SPI(2, baudrate=20_000_000, sck=Pin(18), mosi=Pin(23), miso=Pin(19))
nic = W5500(spi, Pin(5), int_pin=Pin(4), reset_pin=Pin(16, Pin.OUT, value=1))
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
