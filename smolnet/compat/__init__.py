# Compatibility layer for existing MicroPython code:
#   smolnet.compat.socket    the `socket` module (lwIP semantics) over smolnet
#   smolnet.compat.network   a network.LAN-shaped NIC object
#   smolnet.compat.usocket   the same socket module under its old name
# smolnet.compat.socket.install() (sys.modules["socket"] = ["usocket"] = it)
# before a library is imported makes the library use it. smolnet.socket is
# the state machines underneath, not a socket module.
