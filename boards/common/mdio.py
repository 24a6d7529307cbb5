# Clause-22 PHY management shared by the memory-mapped MAC drivers.
#
# Every MAC here talks to its PHY over MDIO with the same standard registers
# (IEEE 802.3 clause 22.2.4): only the way a register is read or written
# differs. A driver passes itself as `bus`, which must offer
#   bus.mdio_read(phy, reg) -> int (0..0xFFFF)
#   bus.mdio_write(phy, reg, value)
# None of these functions runs per frame; they allocate nothing themselves
# (what the bus methods cost is up to the MAC).
from micropython import const

BMCR = const(0)     # basic mode control
BMSR = const(1)     # basic mode status
PHYID1 = const(2)
PHYID2 = const(3)
ANAR = const(4)     # auto-negotiation advertisement
ANLPAR = const(5)   # auto-negotiation link partner ability

BMCR_RESET = const(0x8000)
BMCR_SPEED100 = const(0x2000)
BMCR_ANEN = const(0x1000)
BMCR_ANRESTART = const(0x0200)
BMCR_FULLDPLX = const(0x0100)

BMSR_ANDONE = const(0x0020)
BMSR_LINK = const(0x0004)   # latched low (22.2.4.2.13): read twice for "now"

# technology ability bits of ANAR/ANLPAR (annex 28B.2)
AN_100FULL = const(0x0100)
AN_100HALF = const(0x0080)
AN_10FULL = const(0x0040)
AN_10HALF = const(0x0020)

# negotiated mode, as one small int: bit 0 full duplex, bit 1 100 Mbit/s
MODE_FULL = const(1)
MODE_100 = const(2)


def reset(bus, phy, tries=1000):
    """Soft-reset the PHY and wait for BMCR.RESET to self-clear."""
    bus.mdio_write(phy, BMCR, BMCR_RESET)
    for _ in range(tries):
        if not bus.mdio_read(phy, BMCR) & BMCR_RESET:
            return
    raise OSError(110)  # ETIMEDOUT: no PHY answering at this address?


def phy_id(bus, phy):
    """(PHYID1 << 16) | PHYID2; 0xFFFFFFFF or 0 means nothing at `phy`."""
    return (bus.mdio_read(phy, PHYID1) << 16) | bus.mdio_read(phy, PHYID2)


def start_autoneg(bus, phy):
    """Advertise 10/100 half/full and (re)start auto-negotiation."""
    adv = bus.mdio_read(phy, ANAR)
    bus.mdio_write(phy, ANAR, (adv & 0xFC1F) | AN_100FULL | AN_100HALF
                   | AN_10FULL | AN_10HALF)
    bus.mdio_write(phy, BMCR, BMCR_ANEN | BMCR_ANRESTART)


def link(bus, phy):
    """True if the link is up now (the latched-low bit is read twice)."""
    bus.mdio_read(phy, BMSR)
    return bool(bus.mdio_read(phy, BMSR) & BMSR_LINK)


def mode(bus, phy):
    """Speed/duplex the link runs at: MODE_FULL | MODE_100 bits.

    With auto-negotiation on, the highest common ability (28B.3 priority);
    otherwise what BMCR forces."""
    bmcr = bus.mdio_read(phy, BMCR)
    if not bmcr & BMCR_ANEN:
        m = 0
        if bmcr & BMCR_FULLDPLX:
            m |= MODE_FULL
        if bmcr & BMCR_SPEED100:
            m |= MODE_100
        return m
    common = bus.mdio_read(phy, ANAR) & bus.mdio_read(phy, ANLPAR)
    if common & AN_100FULL:
        return MODE_100 | MODE_FULL
    if common & AN_100HALF:
        return MODE_100
    if common & AN_10FULL:
        return MODE_FULL
    return 0
