# NXP MIMXRT1060-EVK (i.MX RT1062, ENET with a KSZ8081 PHY)
# Read by mk/firmware.mk (make firmware / deploy) and host_tests/test_firmware.py.
SMOLNET_PORT := mimxrt
SMOLNET_MPY_BOARD := MIMXRT1060_EVK
SMOLNET_ARCH := armv7emdp
SMOLNET_DRIVER := nxpenet
