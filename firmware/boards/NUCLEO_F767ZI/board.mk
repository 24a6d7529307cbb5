# ST NUCLEO-F767ZI (STM32F767, Cortex-M7, LAN8742A PHY over RMII)
# Read by mk/firmware.mk (make firmware / deploy) and host_tests/test_firmware.py.
SMOLNET_PORT := stm32
SMOLNET_MPY_BOARD := NUCLEO_F767ZI
SMOLNET_ARCH := armv7emdp
SMOLNET_DRIVER := stm32eth
