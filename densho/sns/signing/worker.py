"""The signing worker process of SNS (``python -m densho.sns.signing.worker``).

Owns: signing what its parent sends, in order. On stdin, frames of ``length (4 bytes, big
endian) · SignatureVersion (1 byte) · data``; the first frame carries the private key as PEM
(version 0) and is answered ``ready``. On stdout, one frame ``length · base64 signature`` per
frame read, in the same order; an empty answer means the data could not be signed (an unknown
SignatureVersion). It exits when stdin closes, so it also ends when its parent is killed.

A process rather than a thread: the RSA work needs a core of its own beside the busy event
loop, and a thread had to take the GIL back from the loop before and after every signature.
Must not know: what the data is (``densho.sns.signing.signer`` builds it), asyncio, HTTP, storage.
"""

from __future__ import annotations

import os
import signal
import struct
import sys

from densho.sns.signing.signer import load_key, sign_bytes

HEAD = struct.Struct(">IB")  # a request: data length, SignatureVersion
ANSWER = struct.Struct(">I")  # an answer: its length
KEY_VERSION = 0  # the version byte of the first frame, which carries the key
READY = b"ready"


def main() -> None:
    # ^C at a terminal reaches the whole process group; the parent decides when this ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests = sys.stdin.buffer
    key = None
    while True:
        head = requests.read(HEAD.size)
        if len(head) < HEAD.size:
            return
        length, version = HEAD.unpack(head)
        data = requests.read(length)
        if len(data) < length:
            return
        if key is None:
            key = load_key(data)
            answer = READY
        else:
            try:
                answer = sign_bytes(key, data, version).encode("ascii")
            except ValueError:
                answer = b""
        _write(ANSWER.pack(len(answer)) + answer)


def _write(frame: bytes) -> None:
    view = memoryview(frame)
    while view:
        view = view[os.write(1, view) :]


if __name__ == "__main__":
    main()
