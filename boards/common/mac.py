# The MAC address of a board whose MAC has no address of its own: the one
# given, or one derived from machine.unique_id() (locally administered,
# unicast: IEEE 802 bit 1 of the first octet set, bit 0 clear), or, on a port
# without unique_id() (MicroPython's qemu port, some minimal builds), the
# driver's fallback: the address its MAC registers already hold (loaded by a
# boot ROM, or by QEMU from -nic ...,mac=) or, failing that, a fixed default.
# Every driver that derives an address takes it from pick_mac(); the
# LAN9118, whose EEPROM holds one, derives none and does not import this
# module (~350 bytes of heap on the MPS2 AN385).
import machine

_LOCAL = b"\x02\x00\x00\x00\x00\x00"


def pick_mac(mac=None, fallback=None, template=_LOCAL, at=1):
    """mac (6 bytes, unicast) or, if None, template (a locally administered
    unicast address) with machine.unique_id() folded by XOR into its bytes
    at..5, or if the port has none, fallback (6 bytes). ValueError if none
    works. (The SPI drivers keep their own template and `at`, so a board's
    derived address stays what earlier releases gave it.)"""
    if mac is None:
        uid = getattr(machine, "unique_id", None)
        if uid is not None:
            u = uid()
            mac = bytearray(template)
            span = 6 - at
            for i in range(len(u)):
                mac[at + i % span] ^= u[i]
        elif fallback is not None:
            mac = fallback
        else:
            raise ValueError("no unique_id(): pass mac=")
    if len(mac) != 6 or mac[0] & 1:
        raise ValueError("mac must be 6 bytes, unicast")
    return mac


def usable(mac):
    """True for a unicast address that is not all zeros or all ones: what a
    MAC register left unprogrammed does not hold."""
    if mac[0] & 1:
        return False
    for b in mac:
        if b:
            return True
    return False
