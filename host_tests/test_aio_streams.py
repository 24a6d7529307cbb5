# runtimes: unix
# MicroPython's own asyncio.start_server and asyncio.open_connection, not
# changed in any way, over smolnet's socket module (sys.modules["socket"])
# on a Loopback pair. They wait on the facade sockets with select.poll
# through ioctl, which also runs both Interfaces: no driver task is needed.
# (CPython's asyncio needs real file descriptors; webassembly has no
# asyncio streams.)
import sys
import asyncio
from smolnet.compat import socket as facade
from smolnet.compat.stack import Net
from netpair import NetPair

# never under CPython, even when named on pytest's command line: its asyncio
# would open real sockets of the host
_MP = sys.implementation.name == "micropython"


def _with_smolnet_socket(main):
    p = NetPair()
    a = Net(p.a)
    a.also_poll(p.b)
    b = Net(p.b)
    b.also_poll(p.a)
    saved = sys.modules.get("socket")
    sys.modules["socket"] = facade
    try:
        return asyncio.run(main(p, a, b))
    finally:
        if saved is not None:
            sys.modules["socket"] = saved
        else:
            del sys.modules["socket"]


def test_echo_server_and_client_unchanged():
    if not _MP:
        return
    async def main(p, a, b):
        async def echo(reader, writer):
            while True:
                line = await reader.readline()
                if not line:
                    break
                writer.write(line.upper())
                await writer.drain()
            writer.close()
            await writer.wait_closed()

        facade.use(b)                   # the server's side
        srv = await asyncio.start_server(echo, "0.0.0.0", 7)
        facade.use(a)                   # the client's side
        r, w = await asyncio.open_connection("192.0.2.2", 7)
        out = []
        for word in (b"hello\n", b"smolnet\n", b"x" * 3000 + b"\n"):
            w.write(word)
            await w.drain()
            out.append(await r.readline())
        w.write(b"abcdef")
        await w.drain()
        exact = await r.readexactly(0)
        w.close()
        await w.wait_closed()
        srv.close()
        await srv.wait_closed()
        return out, exact

    out, exact = _with_smolnet_socket(main)
    assert out == [b"HELLO\n", b"SMOLNET\n", b"X" * 3000 + b"\n"]
    assert exact == b""


def test_stream_read_to_eof_and_readexactly():
    if not _MP:
        return
    async def main(p, a, b):
        async def serve(reader, writer):
            n = int(await reader.readline())
            writer.write(bytes(i & 0xFF for i in range(n)))
            await writer.drain()
            writer.close()
            await writer.wait_closed()

        facade.use(b)
        srv = await asyncio.start_server(serve, "0.0.0.0", 8080)
        facade.use(a)
        r, w = await asyncio.open_connection("192.0.2.2", 8080)
        w.write(b"20000\n")
        await w.drain()
        head = await r.readexactly(100)
        rest = await r.read()          # to EOF
        w.close()
        srv.close()
        return head, rest

    head, rest = _with_smolnet_socket(main)
    data = bytes(i & 0xFF for i in range(20000))
    assert head == data[:100] and rest == data[100:]


def test_open_connection_refused():
    if not _MP:
        return
    async def main(p, a, b):
        facade.use(a)
        r, w = await asyncio.open_connection("192.0.2.2", 9)
        try:
            await r.read(10)
        except OSError as e:
            return e.args[0]
        return None

    assert _with_smolnet_socket(main) == 104      # ECONNRESET, as lwIP
