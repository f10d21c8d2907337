"""Random identifiers shaped like AWS's: version-4 UUID strings.

Owns: the one fast way densho makes request ids and message ids.
Must not know: anything else (both the wire and the engine use it).
"""

from __future__ import annotations

import random

_bits = random.getrandbits
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def uuid4() -> str:
    """A random version-4 UUID string.

    The ids need to be unique, not unguessable (SQS message ids and request ids are not secrets),
    so this skips ``uuid.uuid4()``'s os.urandom system call and UUID object, which cost several
    microseconds on the hot path.
    """
    h = "%032x" % ((_bits(128) & _UUID4_CLEAR) | _UUID4_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
