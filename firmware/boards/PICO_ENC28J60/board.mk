# Raspberry Pi Pico with an ENC28J60 module
# Read by mk/firmware.mk (make firmware / deploy) and host_tests/test_firmware.py.
SMOLNET_PORT := rp2
SMOLNET_MPY_BOARD := RPI_PICO
SMOLNET_ARCH := armv6m
SMOLNET_DRIVER := enc28j60
