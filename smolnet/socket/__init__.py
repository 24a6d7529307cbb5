# Socket state machines (udp, icmp, tcp, ...): each owns preallocated buffers
# and talks to the Interface through the contract in smolnet/iface/interface.py.
