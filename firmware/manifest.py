# Freeze smolnet into a MicroPython firmware image.
#
# On its own (in a MicroPython checkout):
#     make -C ports/<port> BOARD=<board> FROZEN_MANIFEST=/path/to/smolnet/firmware/manifest.py
# or from another manifest:
#     include("/path/to/smolnet/firmware/manifest.py")
# Boards: firmware/boards/<BOARD>/manifest.py includes this file and adds the
# board's driver (make firmware BOARD=... MPY_DIR=... runs that build).
#
# Every .py under smolnet/ is frozen, so new modules need no edit here, except
# the host-only ones listed in smolnet_files.py (the CPython shim, AF_PACKET,
# TAP). A manifest runs with its own directory as the working directory.
#
# No metadata() call on purpose: manifestfile.py refuses a second metadata()
# in one build, and the manifest including this one may well have its own.
import os
import sys

sys.path.insert(0, os.path.abspath("."))
import smolnet_files  # firmware/smolnet_files.py

_ROOT = ".."
package("smolnet", files=[p[len("smolnet/"):] for p in smolnet_files.core_files(os.path.abspath(_ROOT))],
        base_path=_ROOT)
