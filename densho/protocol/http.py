"""Plain HTTP request/response values passed between the ASGI app and the codecs.

Owns: the minimal view of an HTTP exchange the wire layer needs.
Must not know: ASGI, the server, or any AWS semantics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .call import Call


@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str
    query_string: bytes
    headers: dict[str, str]  # names lower-cased; repeated headers joined with ","
    body: bytes
    # The client's address: the TCP peer's, or the one a trusted proxy forwarded.
    client: str = ""
    secure: bool = False  # the client used TLS (to densho, or to a trusted proxy)
    # The path as sent, still percent-encoded (SigV4 signs it so); "": same as ``path``.
    raw_path: str = ""
    # densho's URL as the client reached it (``scheme://host[:port]``, see densho.proxies);
    # "": built from ``secure`` and the Host header.
    base_url: str = ""

    @property
    def endpoint(self) -> str:
        """The base of every URL densho returns for this request (queue URLs, SubscribeURL)."""
        return (
            self.base_url
            or f"{'https' if self.secure else 'http'}://{self.headers.get('host', '')}"
        )


@dataclass(slots=True)
class HttpResponse:
    status: int
    body: bytes
    content_type: bytes
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    # What the exchange was, for access logs and metrics (the wire fills these in): the request
    # id, the service and action as far as they were understood, the decoded call when there
    # was one, and the error code of an error answer ("" for a success).
    request_id: str = ""
    service: str = ""
    action: str = ""
    call: Call | None = None
    error_code: str = ""
