# The MPS2 AN385 firmware with only the board profile of smolnet (no IPv6,
# IPv4 multicast, reassembly, apps or debug aids; firmware/manifest.py) and
# without the test server, without line numbers (as a board's own manifest
# freezes it): what a board of this class would flash. Built by
# `make firmware-qemu` into build/qemu/MPS2_AN385-profile/ and booted by
# host_tests/test_firmware_profile.py; `make mpy-sizes` counts it.
include(".", all=False, tools=False, lines=False)
