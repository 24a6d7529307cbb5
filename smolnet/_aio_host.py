# smolnet.aio's waker on CPython (host-only: firmware/smolnet_files.py
# HOST_ONLY; MicroPython's is in aio.py): an asyncio.Event set by
# loop.add_reader on the device's poll_obj fd, by kick() (set()), or
# asyncio.wait_for's timeout.
import asyncio


class _Waker:
    def __init__(self, poll_obj):
        self.state = 0
        self._poll_obj = poll_obj
        self._ev = None
        self._loop = None

    def set(self):
        self.state = 1
        if self._ev is not None:
            self._ev.set()

    def _ready(self):
        self._ev.set()

    async def wait(self, ms):
        if self._ev is None:
            self._ev = asyncio.Event()
            if self._poll_obj is not None:
                self._loop = asyncio.get_running_loop()
                self._loop.add_reader(self._poll_obj.fileno(), self._ready)
        if not self.state:
            try:
                await asyncio.wait_for(self._ev.wait(), ms / 1000 if ms >= 0 else None)
            except asyncio.TimeoutError:
                pass
        self._ev.clear()
        self.state = 0

    def close(self):
        if self._loop is not None:
            self._loop.remove_reader(self._poll_obj.fileno())
            self._loop = None
        self._ev = None
