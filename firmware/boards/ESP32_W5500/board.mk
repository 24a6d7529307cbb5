# ESP32 (ESP32_GENERIC) with a W5500 module on SPI(2)
# Read by mk/firmware.mk (make firmware / deploy) and host_tests/test_firmware.py.
SMOLNET_PORT := esp32
SMOLNET_MPY_BOARD := ESP32_GENERIC
SMOLNET_ARCH := xtensawin
SMOLNET_DRIVER := w5500
