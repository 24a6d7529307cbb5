"""Preallocated buffers the sockets own: byte rings (ring), datagram rings
(packet_ring) and the out-of-order receive tracker (assembler). None of them
allocates after construction."""
