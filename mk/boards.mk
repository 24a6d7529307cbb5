# Board drivers run unchanged against QEMU's own chip models
# (host_tests/test_board_qemu.py): make setup installs QEMU's ARM machines.
APT_EXTRA += qemu-system-arm
