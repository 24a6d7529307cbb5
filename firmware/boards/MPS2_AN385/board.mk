# Arm MPS2 AN385 (Cortex-M3) as emulated by qemu-system-arm -M mps2-an385
# Read by mk/firmware.mk (make firmware / deploy) and host_tests/test_firmware.py.
SMOLNET_PORT := qemu
SMOLNET_MPY_BOARD := MPS2_AN385
SMOLNET_ARCH := armv7m
SMOLNET_DRIVER := lan9118
