"""A decoded AWS API call: which service and operation, with validated parameters.

Owns: the value the wire layer hands to the providers.
Must not know: semantics of any operation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from densho.core.identity import Identity


@dataclass(slots=True)
class Call:
    service: str  # "sqs" | "sns"
    protocol: str  # "json" | "query"
    operation: str  # botocore operation name, e.g. "SendMessage"
    # Validated input in botocore's Python form: member names as keys, ints, bools, bytes for
    # blobs, lists and dicts; absent members are absent (never None).
    params: dict[str, Any]
    region: str  # from the SigV4 credential scope, else the server's default region
    # densho's URL as the client reached it (``HttpRequest.endpoint``): the base of the URLs
    # densho returns — queue URLs, SubscribeURL, UnsubscribeURL, SigningCertURL.
    endpoint: str
    access_key: str | None  # from SigV4 (header or query string), if signed
    # The verified caller when authentication is on; None: open mode (any key, one account).
    identity: Identity | None = None
    # The client's address (aws:SourceIp): the TCP peer's, or a trusted proxy's forwarded one.
    source_ip: str = ""
    secure: bool = False  # the client used TLS (aws:SecureTransport)
    # The X-Amzn-Trace-Id header (an X-Ray trace header), when the request carried one.
    trace_header: str | None = None
