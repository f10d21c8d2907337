"""What every provider receives with a request: the engine, the caller's account, the call.

Owns: ``SqsContext`` and ``SnsContext`` — one module both the service providers and their
helpers (move tasks, SNS management) import, so no provider imports another for its context.
Must not know: how a request was decoded or how a result is encoded.
"""

from __future__ import annotations

from dataclasses import dataclass

from densho.protocol.call import Call
from densho.sns.engine import SnsEngine
from densho.sns.manage.engine import SnsManage
from densho.sqs.engine import SqsEngine
from densho.sqs.move_tasks import MoveTasks


# Not frozen, though never changed: made per request (why: densho/core/store.py, Claim).
@dataclass(slots=True)
class SqsContext:
    engine: SqsEngine
    account: str  # the caller's account (queues it creates are owned by it)
    call: Call
    moves: MoveTasks | None = None  # message move tasks (DLQ redrive), when the server runs them


# Not frozen, though never changed: made per request (why: densho/core/store.py, Claim).
@dataclass(slots=True)
class SnsContext:
    engine: SnsEngine
    account: str
    call: Call
    manage: SnsManage | None = None  # management actions (densho.providers.sns_manage)

    @property
    def endpoint(self) -> str:
        """The service URL the client used (UnsubscribeURL, SigningCertURL)."""
        return self.call.endpoint
