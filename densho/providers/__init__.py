"""Providers: one small async function per API operation, between the wire and the engine.

Owns: turning validated wire parameters (botocore-shaped dicts) into engine calls and engine
results back into output dicts; mapping domain errors to AWS errors (``errors``).
Must not know: HTTP bodies or protocols (JSON vs Query), SQL.
"""
