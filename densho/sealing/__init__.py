"""Encryption at rest: AES-256-GCM data keys wrapped by key-encryption keys derived from one
master key that never sits in the database.

Owns: the cryptography (``seal``: derivation, wrapping, sealed values and their marker),
the keyring a process keeps in memory (``keyring``: which data key each key id uses now, which
ones it has unwrapped) and where the master key comes from (``master``: a key file, a variable).
Must not know: storage, SQL, SQS or SNS rules, HTTP. Storage calls it at the row boundary
(``densho.storage.sealed``).

    master key (32 bytes, file 0600 / DENSHO_MASTER_KEY)
      └─ HKDF(info = KmsMasterKeyId, or "sqs-managed")  ->  key-encryption key (never stored)
           └─ wraps each data key (random 32 bytes)      ->  table data_keys (id, key_id, wrapped)
                └─ seals messages, SNS payloads  ->  "\\x01dk1:<id>:" + nonce + ciphertext
"""
