# smolnet: an allocation-free TCP/IP stack for MicroPython.
#
# Importing the package is cheap on purpose: on a board only the modules a
# program names are loaded. Under CPython the shim below first installs the
# pieces of MicroPython (micropython.const/viper, time.ticks_*) the stack uses.
import sys

if sys.implementation.name != "micropython":
    from . import _cpython  # noqa: F401  (installs the shim)

__version__ = "0.1.0"


def left_out(what, module, option):
    """The message of the error a call gets when it needs a part this
    build was frozen without (firmware/manifest.py's options): what asked
    ("cc='cubic': ", or ""), the module (under smolnet.), the option."""
    return ("%sthis build has no smolnet.%s; freeze it with the manifest option %s=True "
            "(firmware/manifest.py)" % (what, module, option))
