# ST NUCLEO-F429ZI (STM32F429, Cortex-M4F, LAN8742A PHY over RMII)
# Read by mk/firmware.mk (make firmware / deploy) and host_tests/test_firmware.py.
SMOLNET_PORT := stm32
SMOLNET_MPY_BOARD := NUCLEO_F429ZI
SMOLNET_ARCH := armv7emsp
SMOLNET_DRIVER := stm32eth
