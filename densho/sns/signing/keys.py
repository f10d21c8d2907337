"""The SNS signing key of nodes that share a database: one key and certificate for them all.

Owns: getting that key from the store, creating it there if no node has yet (of nodes starting
together, the first to store one wins and the others sign with it), and renewing its certificate
there when it nears its end. Every node then signs with the same key and serves the same
certificate at the same SigningCertURL path, so a subscriber verifies a message whichever node
sent it and whichever node it fetches the certificate from. (A node alone on its store keeps its
key in its data directory instead: ``Signer.load_or_create``.)
Must not know: SQL, HTTP, what is signed.
"""

from __future__ import annotations

from densho.sns.signing.signer import COMMON_NAME, Signer, new_key_pem
from densho.storage.sns_base import SigningStore


async def shared_signer(store: SigningStore, now_ms: int, common_name: str = COMMON_NAME) -> Signer:
    """The signer every node sharing ``store`` uses (created in it on first use)."""
    found = await store.signing_material()
    if found is None:
        key_pem = new_key_pem()
        _, cert_pem = Signer.from_pem(key_pem, None, now_ms=now_ms, common_name=common_name)
        assert cert_pem is not None  # no certificate given: one was issued
        found = await store.keep_signing_material(key_pem, cert_pem, now_ms)
    key_pem, cert_pem = found
    signer, renewed = Signer.from_pem(key_pem, cert_pem, now_ms=now_ms, common_name=common_name)
    if renewed is not None:
        stored = await store.renew_signing_certificate(cert_pem, renewed)
        if stored != renewed:  # another node renewed it first: serve the same one
            signer, _ = Signer.from_pem(key_pem, stored, now_ms=now_ms, common_name=common_name)
    return signer
