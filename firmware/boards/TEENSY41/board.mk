# PJRC Teensy 4.1 (i.MX RT1062, ENET with a DP83825I PHY)
# Read by mk/firmware.mk (make firmware / deploy) and host_tests/test_firmware.py.
SMOLNET_PORT := mimxrt
SMOLNET_MPY_BOARD := TEENSY41
SMOLNET_ARCH := armv7emdp
SMOLNET_DRIVER := nxpenet
