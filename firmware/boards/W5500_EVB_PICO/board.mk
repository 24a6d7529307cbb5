# WIZnet W5500-EVB-Pico (RP2040 with an on-board W5500)
# Read by mk/firmware.mk (make firmware / deploy) and host_tests/test_firmware.py.
SMOLNET_PORT := rp2
SMOLNET_MPY_BOARD := W5500_EVB_PICO
SMOLNET_ARCH := armv6m
SMOLNET_DRIVER := w5500
