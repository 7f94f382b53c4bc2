#!/usr/bin/env python3
"""A commune's network link for the demo: a plain TCP relay from 127.0.0.1:LISTEN to 127.0.0.1:TARGET.

Stopping it (SIGTERM to its own pid) cuts the link for the one commune whose node talks to the hub
through it, with real refused connections; starting it again on the same port brings the link back.

    Scripts/link.py LISTEN TARGET     # LISTEN 0 picks a free port; prints "relaying PORT -> TARGET"
"""
import asyncio
import signal
import sys


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main(listen: int, target: int) -> None:
    open_writers = set()

    async def relay(client_reader, client_writer):
        try:
            hub_reader, hub_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            client_writer.close()
            return
        open_writers.update((client_writer, hub_writer))
        await asyncio.gather(pipe(client_reader, hub_writer), pipe(hub_reader, client_writer))
        open_writers.difference_update((client_writer, hub_writer))

    server = await asyncio.start_server(relay, "127.0.0.1", listen, reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    print(f"relaying {port} -> {target}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
        # A cut link drops the connections in flight too (a long-poll, a push), not only new ones.
        for writer in list(open_writers):
            writer.transport.abort()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: link.py LISTEN TARGET")
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
