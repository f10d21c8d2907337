"""The wire layer: HTTP bodies <-> botocore-shaped parameter dicts.

Owns: detecting service, protocol and operation of an HTTP request; decoding and validating its
parameters against botocore's service models (plus the SQS Query overlay); encoding results and
errors in each protocol's exact shape.

Must not know: queue or topic semantics, storage, providers. It sees only dicts shaped by the
models. The entry point is ``densho.protocol.wire.Wire``.
"""
