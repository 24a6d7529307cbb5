# Raspberry Pi Pico with a W5500 module wired like the W5500-EVB-Pico
# Read by mk/firmware.mk (make firmware / deploy) and host_tests/test_firmware.py.
SMOLNET_PORT := rp2
SMOLNET_MPY_BOARD := RPI_PICO
SMOLNET_ARCH := armv6m
SMOLNET_DRIVER := w5500
