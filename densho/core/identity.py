"""Who is calling: the account and principal an authenticated access key stands for.

Owns: the ``Identity`` record the wire layer attaches to a call once its signature is verified,
and which the providers use to pick the caller's account and to evaluate policies.
Must not know: how a signature is checked, where credentials come from, or policy evaluation.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Identity:
    account_id: str  # twelve digits; the caller's resources live in this account
    arn: str  # arn:aws:iam::<account>:root, or a user's ARN
    access_key: str
    # The identity policy (IAM JSON) attached to this credential, as configured; None: none.
    # An account root with no identity policy may do everything in its own account.
    policy: str | None = None

    @property
    def is_root(self) -> bool:
        return self.arn.endswith(":root")

    @property
    def username(self) -> str | None:
        """aws:username: the user name of an IAM user ARN (``...:user/path/name``), else None."""
        _, _, resource = self.arn.partition(":user/")
        return resource.rsplit("/", 1)[-1] if resource else None

    @property
    def unique_id(self) -> str:
        """What SQS shows as a message's SenderId: the account id for a root; for a user, an
        IAM-style unique id (``AIDA`` + 17 characters), stable because derived from its ARN
        (densho has no IAM to issue one)."""
        if self.is_root:
            return self.account_id
        digest = hashlib.sha256(self.arn.encode()).digest()
        return "AIDA" + base64.b32encode(digest).decode()[:17]
