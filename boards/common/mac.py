# The MAC address of a board whose MAC has no address of its own: the one
# given, or one derived from machine.unique_id() (locally administered,
# unicast: IEEE 802 bit 1 of the first octet set, bit 0 clear).
import machine


def pick_mac(mac=None):
    """mac (6 bytes, unicast) or, if None, one made from machine.unique_id();
    ValueError if neither is possible."""
    if mac is None:
        uid = getattr(machine, "unique_id", None)
        if uid is None:
            raise ValueError("no unique_id(): pass mac=")
        u = uid()
        mac = bytearray(6)
        mac[0] = 0x02
        for i in range(len(u)):
            mac[1 + i % 5] ^= u[i]
    if len(mac) != 6 or mac[0] & 1:
        raise ValueError("mac must be 6 bytes, unicast")
    return mac
