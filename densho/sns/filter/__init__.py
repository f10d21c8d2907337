"""SNS filter policies: parse and validate once, compile, match (a pure package).

Must not know: storage, HTTP, the wire.
"""
