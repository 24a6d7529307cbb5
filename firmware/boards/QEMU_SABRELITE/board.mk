# NXP i.MX 6 SABRE Lite (Cortex-A9) as emulated by qemu-system-arm -M sabrelite
# Read by mk/firmware.mk (make firmware / deploy) and host_tests/test_firmware.py.
# armv6: the qemu port's own choice for this board (mpy-cross has no armv7-A).
SMOLNET_PORT := qemu
SMOLNET_MPY_BOARD := SABRELITE
SMOLNET_ARCH := armv6
SMOLNET_DRIVER := nxpenet
