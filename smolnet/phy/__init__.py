# The phy layer: devices that move whole frames, and wrappers around them.
# See device.py for the contract every device (host, utility or board) meets.
