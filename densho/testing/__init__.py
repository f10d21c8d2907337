"""densho for test suites: start a throwaway server, reset it, move its clock.

    with densho.testing.server() as d:          # in-memory store, controlled clock, free port
        sqs = d.client("sqs")
        ...
        d.advance(3600)                          # an hour passes, at once
        d.reset()                                # every queue and message gone

pytest users get the same as fixtures (``densho``, ``densho_clean``) from the plugin
``densho.testing.pytest_plugin``, registered when densho is installed.

Owns: the public names of the testing helpers. Must not know: densho's insides — the helpers
start ``densho serve`` as a subprocess and talk to it over HTTP, like any client.
"""

from densho.testing.handle import Densho, DenshoError
from densho.testing.process import connect, server

__all__ = ["Densho", "DenshoError", "connect", "server"]
