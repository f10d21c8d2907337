"""The fdatasync worker process of the SQLite store (``python -m densho.storage.syncer FD``).

Owns: making the WAL durable on request. It reads whatever commit tokens are waiting on stdin,
fdatasyncs the file behind descriptor FD once for all of them, and echoes the tokens to stdout
(``-`` instead of each token if the sync failed). fsync flushes a file's data whichever process
wrote it, so this process's sync covers the parent's commits made before the tokens were sent.

It is a process, not a thread, so that waiting on the disk never needs the parent's GIL: a
syncer thread had to take the GIL back from the busy event loop after every fdatasync, which cost
more than the sync itself. It imports nothing from densho and exits when stdin closes (also when
the parent is killed).
Must not know: SQLite, SQS.
"""

from __future__ import annotations

import os
import signal
import sys


def main() -> None:
    fd = int(sys.argv[1])
    # Ctrl-C in a terminal (or `timeout`) signals the whole process group: the parent shuts down
    # gracefully and closes stdin, which ends this process after its last sync — not the signal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        tokens = os.read(0, 65536)
        if not tokens:
            return
        try:
            os.fdatasync(fd)
        except OSError as exc:
            print(f"densho syncer: fdatasync failed: {exc}", file=sys.stderr, flush=True)
            tokens = b"-" * len(tokens)
        view = memoryview(tokens)
        while view:
            view = view[os.write(1, view) :]


if __name__ == "__main__":
    main()
