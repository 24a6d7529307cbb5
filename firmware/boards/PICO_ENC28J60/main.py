# Example app for the Raspberry Pi Pico with an ENC28J60 module.
#
# Brings smolnet up on the ENC28J60 with a static address and polls it for
# ever: the board answers ARP and ping (try `ping 192.0.2.50` from a computer on
# the same link). Edit ADDRESS and GATEWAY for your network.
#
# On the board: make deploy PORT=/dev/ttyACM0 BOARD=PICO_ENC28J60 APP=1
# (installs smolnet and the driver with mip, copies this file as :main.py),
# or freeze it: make firmware BOARD=PICO_ENC28J60 MPY_DIR=... FREEZE_MAIN=1
#
# The bring-up is the two lines `nic = ...` and `iface = ...`; wiring:
#   SPI0 SCK=GP18 SI=GP19 SO=GP16, CS=GP17, RESET=GP20, INT=GP21
import time
from machine import Pin, SPI
from smolnet.iface.interface import Interface
from boards.enc28j60 import ENC28J60

ADDRESS = "192.0.2.50/24"  # this board, with the prefix length of its network
GATEWAY = "192.0.2.1"  # the router; None on an isolated link

spi = SPI(0, baudrate=10_000_000, sck=Pin(18), mosi=Pin(19), miso=Pin(16))
nic = ENC28J60(spi, Pin(17), int_pin=Pin(21), reset_pin=Pin(20, Pin.OUT, value=1))
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
