"""The one exception type that crosses from providers to the wire: an AWS error response.

Owns: the fields AWS puts in an error (code, message, HTTP status, sender/receiver fault).
Must not know: how each protocol renders it (see ``quirks`` and the encoders).
"""

from __future__ import annotations


class AwsError(Exception):
    """An error answered to the client exactly as AWS would.

    ``code`` is the JSON-protocol code (the model's error shape name, e.g. ``QueueDoesNotExist``,
    or a common AWS code such as ``InvalidParameterValue`` / ``MissingParameter``). The Query
    protocol and the ``x-amzn-query-error`` header use the renamed code from ``quirks``.
    """

    __slots__ = ("code", "message", "sender", "status")

    def __init__(self, code: str, message: str, status: int = 400, sender: bool = True) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender = sender
