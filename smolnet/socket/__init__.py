# Socket state machines (udp, icmp, tcp, ...): each owns preallocated buffers
# and talks to the Interface through the contract in smolnet/iface/interface.py.
#
# Not the drop-in `socket` module: that is smolnet.compat.socket (MicroPython's
# socket API with lwIP's behaviour, built on these classes), which
# smolnet.compat.socket.install() makes `import socket` give. This package
# imports nothing from compat/, so the layers stay one-way.
