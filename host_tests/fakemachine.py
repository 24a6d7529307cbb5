# Host stand-ins for the `machine` and `uctypes` modules, so board drivers run
# unchanged against register-level chip models (host_tests/chips/).
#
# install() puts them in sys.modules; it must run before a driver is imported.
#   Pin(id)           shared by driver and model: the model drives inputs with
#                     pin.drive(level) (firing irq handlers on the right edge)
#                     and watches outputs with pin.watch(callback(level)).
#   SPI(id, ...)      forwards transfers to the model attached with
#                     attach_spi(id, model); model.spi_transfer(wbuf, rbuf, n,
#                     fill) is called with CS state known to the model through
#                     its CS pin.
#   mem8/mem16/mem32  forward to models mapped with map_region(base, size,
#                     model); model.read(offset, width) / write(offset, width,
#                     value). mem32 reads come back *signed*, as they do on
#                     32-bit bare-metal MicroPython.
#   uctypes.addressof(buf) returns a stable fake bus address for a bytearray;
#                     models turn DMA addresses back into (buf, offset) with
#                     dma_resolve(addr).
import sys

_pins = {}
_spi_models = {}
_regions = []  # (base, size, model)
_dma = []      # (addr, buf)
_dma_next = [0x20000000]


def reset():
    _pins.clear()
    _spi_models.clear()
    del _regions[:]
    del _dma[:]
    _dma_next[0] = 0x20000000


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    ALT = 3
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_FALLING = 1
    IRQ_RISING = 2

    def __new__(cls, id, *args, **kw):
        p = _pins.get(id)
        if p is None:
            p = object.__new__(cls)
            p.id = id
            p._level = 1
            p._mode = -1
            p._handler = None
            p._trigger = 0
            p._watchers = []
            _pins[id] = p
        return p

    def __init__(self, id, mode=-1, pull=-1, value=None, **kw):
        if mode != -1:
            self._mode = mode
        if value is not None:
            self.value(value)

    def init(self, mode=-1, pull=-1, value=None, **kw):
        self.__init__(self.id, mode, pull, value)

    def value(self, v=None):
        if v is None:
            return self._level
        v = 1 if v else 0
        if v != self._level:
            self._level = v
            for w in self._watchers:
                w(v)

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    high = on
    low = off

    def irq(self, handler=None, trigger=3, **kw):
        self._handler = handler
        self._trigger = trigger

    # model side
    def watch(self, callback):
        self._watchers.append(callback)

    def drive(self, level):
        level = 1 if level else 0
        old = self._level
        self._level = level
        if self._handler is None or old == level:
            return
        if (level == 0 and self._trigger & Pin.IRQ_FALLING) or \
                (level == 1 and self._trigger & Pin.IRQ_RISING):
            self._handler(self)


def attach_spi(id, model):
    _spi_models[id] = model


class SPI:
    MSB = 0
    LSB = 1
    CONTROLLER = 0
    MASTER = 0

    def __init__(self, id, baudrate=1000000, polarity=0, phase=0, bits=8,
                 firstbit=0, sck=None, mosi=None, miso=None, **kw):
        self.id = id
        self.baudrate = baudrate
        self.polarity = polarity
        self.phase = phase

    def init(self, baudrate=1000000, polarity=0, phase=0, **kw):
        self.baudrate = baudrate
        self.polarity = polarity
        self.phase = phase

    def deinit(self):
        pass

    def _model(self):
        m = _spi_models.get(self.id)
        if m is None:
            raise OSError("no chip model on SPI(%r)" % (self.id,))
        if hasattr(m, "spi_mode_ok") and not m.spi_mode_ok(self.polarity, self.phase):
            raise AssertionError("SPI mode (%d,%d) not supported by the chip"
                                 % (self.polarity, self.phase))
        return m

    def write(self, buf):
        self._model().spi_transfer(buf, None, len(buf), 0)

    def read(self, n, write=0):
        r = bytearray(n)
        self._model().spi_transfer(None, r, n, write)
        return bytes(r)

    def readinto(self, buf, write=0):
        self._model().spi_transfer(None, buf, len(buf), write)

    def write_readinto(self, wbuf, rbuf):
        if len(wbuf) != len(rbuf):
            raise ValueError("buffers must be the same length")
        self._model().spi_transfer(wbuf, rbuf, len(wbuf), 0)


def map_region(base, size, model):
    _regions.append((base, size, model))


class _Mem:
    # allocation-free: per-frame driver tests run under heap_lock, so the
    # region lookup iterates the table in place instead of returning a tuple
    def __init__(self, width):
        self.width = width
        self._full = (1 << (8 * width)) - 1

    def _region(self, addr):
        if addr & (self.width - 1):
            raise OSError("unaligned %d-bit access at 0x%08x" % (self.width * 8, addr))
        for r in _regions:
            if r[0] <= addr < r[0] + r[1]:
                return r
        raise OSError("bus fault at 0x%08x: no model mapped" % addr)

    def __getitem__(self, addr):
        r = self._region(addr)
        v = r[2].read(addr - r[0], self.width) & self._full
        if self.width == 4 and v & 0x80000000:
            v -= 0x100000000  # machine.mem32 reads are signed on 32-bit ports
        return v

    def __setitem__(self, addr, value):
        r = self._region(addr)
        r[2].write(addr - r[0], self.width, value & self._full)


mem8 = _Mem(1)
mem16 = _Mem(2)
mem32 = _Mem(4)


def addressof(buf):
    for addr, b in _dma:
        if b is buf:
            return addr
    addr = _dma_next[0]
    _dma.append((addr, buf))
    # keep buffers 64-byte aligned and apart, as DMA engines like them
    _dma_next[0] = addr + ((len(buf) + 63) & ~63) + 64
    return addr


def dma_resolve(addr):
    for a, b in _dma:
        if a <= addr < a + len(b):
            return b, addr - a
    raise OSError("DMA to unmapped address 0x%08x" % addr)


def disable_irq():
    return 0


def enable_irq(state=0):
    pass


def idle():
    pass


class _Module:
    pass


# one module object per name for the whole process: a driver keeps the
# `machine`/`uctypes` it was first imported with, so install() refreshes
# these objects instead of making new ones
_machine = _Module()
_uctypes = _Module()


def install():
    """Install the fake `machine` and `uctypes` modules in sys.modules (the
    same objects every time; attributes a test added are removed)."""
    m = _machine
    for name in list(m.__dict__):
        delattr(m, name)
    m.__name__ = "machine"
    for name in ("Pin", "SPI", "mem8", "mem16", "mem32", "disable_irq",
                 "enable_irq", "idle"):
        setattr(m, name, globals()[name])
    _uctypes.__name__ = "uctypes"
    _uctypes.addressof = addressof
    sys.modules["machine"] = m
    sys.modules["uctypes"] = _uctypes
    return m
