"""The ceiling: a bare ASGI app on densho's HTTP stack that does no SQS work at all.

It reads the request body and answers every request with the same
SendMessage-shaped JSON document. Whatever rate it reaches is the most any
Python server on uvicorn + httptools + uvloop (one worker) can do on this
machine with this load generator, so densho's SendMessage figure is reported
as a fraction of it.

    python -m bench.ceiling --host 127.0.0.1 --port 0

prints ``ceiling ready: http://HOST:PORT`` as its first stdout line (the same
contract as ``densho serve``) and stops on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

BODY = orjson.dumps(
    {
        "MD5OfMessageBody": "3b5d3c7d207e37dceeedd301e35e2e58",
        "MessageId": "5fea7756-0ea4-451a-a703-a558b933e274",
    }
)
START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"application/x-amz-json-1.0"),
        (b"content-length", str(len(BODY)).encode()),
        (b"x-amzn-requestid", b"00000000-0000-0000-0000-000000000000"),
    ],
}
BODY_MESSAGE = {"type": "http.response.body", "body": BODY}


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":  # lifespan is switched off; nothing else is expected
        return
    more = True
    while more:  # consume the request body, as any real server must
        message = await receive()
        more = message.get("more_body", False)
    await send(START)
    await send(BODY_MESSAGE)


def main(argv: Sequence[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(2048)  # connections queue up until uvicorn starts accepting
    host, port = sock.getsockname()[:2]

    config = uvicorn.Config(
        app,
        http="httptools",
        loop="uvloop",
        access_log=False,
        proxy_headers=False,  # as in densho.cli
        workers=1,
        lifespan="off",
        log_level="warning",
        server_header=False,  # header choices as in densho.cli
        date_header=True,
    )
    server = uvicorn.Server(config)
    print(f"ceiling ready: http://{host}:{port}", flush=True)
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
