# ST NUCLEO-H743ZI (STM32H743, Cortex-M7, LAN8742A PHY over RMII)
# Read by mk/firmware.mk (make firmware / deploy) and host_tests/test_firmware.py.
SMOLNET_PORT := stm32
SMOLNET_MPY_BOARD := NUCLEO_H743ZI
SMOLNET_ARCH := armv7emdp
SMOLNET_DRIVER := stm32eth
