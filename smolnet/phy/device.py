# The Device protocol: what the Interface needs from whatever moves frames.
#
# A device owns its hardware and nothing else. It is duck-typed; Device below
# documents the contract and gives defaults, subclassing it is optional.
#
#   recv_into(buf) -> int   copy at most one received frame into the caller's
#                           preallocated buffer; its length, or 0 if none is
#                           waiting. Frames longer than len(buf) are dropped by
#                           the device (and counted there), never truncated.
#   send(buf, n)   -> bool  transmit the first n bytes of buf (a whole frame);
#                           False if the device had no room (frame dropped).
#   mtu                     largest frame in bytes, link header included
#                           (1514 for Ethernet without FCS, as in smoltcp)
#   medium                  MEDIUM_ETHERNET (frames start with an Ethernet II
#                           header) or MEDIUM_IP (bare IPv4/IPv6 packets: TUN)
#   mac                     6-byte bytes/bytearray for Ethernet, None for IP
#   link_up()  -> bool      carrier present (True where unknowable)
#   poll_obj                object select.poll/asyncio can wait on for "a frame
#                           may be waiting" (host fds), or None
#   flag                    asyncio.ThreadSafeFlag set from the MAC interrupt
#                           (boards), or None; without either, the driver task
#                           polls at Interface.poll_delay()
#
# Allocation: recv_into and send must not allocate in steady state: they are
# called once per frame. Both are called from task context, never from an IRQ.
#
# Counters: every board driver (boards/) has these plain ints, named the same
# in every driver (host_tests/test_board_counters.py checks each one), so
# tools and the REPL read any board the same way; a driver may count more
# (its README says what):
#   rx_frames    frames handed to recv_into's caller
#   tx_frames    frames send() accepted
#   rx_errors    frames dropped for a bad receive status (FCS, runt, ...)
#   rx_too_long  frames dropped whole for their length: over one hardware
#                buffer, or over len(buf) (never truncated)
#   tx_full      send() calls refused for want of room (it returned False)
#   tx_errors    frames the hardware reported failed after send() took them
# A counter the hardware gives nothing for stays 0.
from micropython import const

MEDIUM_ETHERNET = const(1)
MEDIUM_IP = const(2)

ETHERNET_MTU = const(1514)


class Device:
    mtu = ETHERNET_MTU
    medium = MEDIUM_ETHERNET
    mac = None
    poll_obj = None
    flag = None

    def recv_into(self, buf):
        return 0

    def send(self, buf, n):
        return False

    def link_up(self):
        return True

    def close(self):
        pass
