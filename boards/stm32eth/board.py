# Clocks, RMII selection and pins for the ETH block on STM32F4/F7, for
# firmware whose own network.LAN is not running (if it is, it already did
# all of this: skip enable_rmii()). Runs once at bring-up; allocates freely.
#
# Order matters (RM0090 / RM0410, SYSCFG_PMC): MII_RMII_SEL must be set
# while the MAC is in reset, before its clocks are enabled.
import machine
from micropython import const

RCC = const(0x40023800)
SYSCFG = const(0x40013800)
_AHB1RSTR = const(0x10)
_AHB1ENR = const(0x30)
_APB2ENR = const(0x44)
_PMC = const(0x04)
_SYSCFGEN = const(1 << 14)
_MII_RMII_SEL = const(1 << 23)
_ETHMACRST = const(1 << 25)
_ETH_CLOCKS = const((1 << 25) | (1 << 26) | (1 << 27))   # MAC, MACTX, MACRX
_GPIO_BASE = const(0x40020000)                            # GPIOA; ports 0x400 apart
_OSPEEDR = const(0x08)

# RMII pins of the NUCLEO-F429ZI / F767ZI / F746ZG / F207ZG (LAN8742A, PHY address 0)
NUCLEO_144 = ("A1", "A2", "A7", "C1", "C4", "C5", "G11", "G13", "B13")
# STM32F4DISCOVERY + DP83848 base board, and many F407 "core" boards (LAN8720)
F407_RMII = ("A1", "A2", "A7", "C1", "C4", "C5", "B11", "B12", "B13")
_AF11_ETH = const(11)


def _set(addr, bits):
    m = machine.mem32
    m[addr] = m[addr] | bits


def _clear(addr, bits):
    m = machine.mem32
    m[addr] = m[addr] & ~bits


def enable_rmii(pins=NUCLEO_144):
    """GPIO clocks, SYSCFG RMII select, ETH clocks and reset, pins to AF11."""
    ports = 0
    for p in pins:
        ports |= 1 << (ord(p[0]) - ord("A"))
    _set(RCC + _AHB1ENR, ports)
    _set(RCC + _APB2ENR, _SYSCFGEN)
    _set(RCC + _AHB1RSTR, _ETHMACRST)       # hold the MAC in reset ...
    _set(SYSCFG + _PMC, _MII_RMII_SEL)      # ... while RMII is selected
    _set(RCC + _AHB1ENR, _ETH_CLOCKS)
    _clear(RCC + _AHB1RSTR, _ETHMACRST)
    for p in pins:
        port = ord(p[0]) - ord("A")
        num = int(p[1:])
        machine.Pin(p, mode=machine.Pin.ALT, alt=_AF11_ETH)
        # very high speed: 50 MHz RMII edges
        _set(_GPIO_BASE + 0x400 * port + _OSPEEDR, 3 << (2 * num))
