# Compatibility layer for existing MicroPython code:
#   smolnet.compat.socket    the `socket` module (lwIP semantics) over smolnet
#   smolnet.compat.network   a network.LAN-shaped NIC object
#   smolnet.compat.usocket   the same socket module under its old name
# `import smolnet.socket as socket` also gives the drop-in (see
# smolnet/socket/__init__.py), and sys.modules["socket"] = smolnet.socket
# before a library is imported makes the library use it.
