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

from densho.sns.signing.signer import load_key, sign_bytes

HEAD = struct.Struct(">IB")  # a request: data length, SignatureVersion
ANSWER = struct.Struct(">I")  # an answer: its length
KEY_VERSION = 0  # the version byte of the first frame, which carries the key
READY = b"ready"


# What one read takes from stdin at most: a pipe's usual capacity, so a read empties it.
_READ_SIZE = 1 << 16


def main() -> None:
    # ^C at a terminal reaches the whole process group; the parent decides when this ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    key = None
    pending = bytearray()
    while True:
        chunk = os.read(0, _READ_SIZE)
        if not chunk:
            return
        pending += chunk
        # Every whole frame read so far is answered, and the answers go out in one write: the
        # parent writes the requests of one loop turn together, so one read and one write
        # here (and one read there) serve them all.
        answers: list[bytes] = []
        start = 0
        while len(pending) - start >= HEAD.size:
            length, version = HEAD.unpack_from(pending, start)
            end = start + HEAD.size + length
            if len(pending) < end:
                break
            data = bytes(pending[start + HEAD.size : end])
            start = end
            if key is None:
                key = load_key(data)
                answer = READY
            else:
                try:
                    answer = sign_bytes(key, data, version).encode("ascii")
                except ValueError:
                    answer = b""
            answers.append(ANSWER.pack(len(answer)))
            answers.append(answer)
        del pending[:start]
        if answers:
            _write(b"".join(answers))


def _write(frame: bytes) -> None:
    view = memoryview(frame)
    while view:
        view = view[os.write(1, view) :]


if __name__ == "__main__":
    main()
