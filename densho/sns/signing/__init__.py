"""SNS message signatures: the signer, its signing process and the key it keeps in storage.

Must not know: HTTP, the wire.
"""
