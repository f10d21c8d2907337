"""IAM policy evaluation: identity and resource policies (IAM JSON) decided as AWS decides them.

Owns: compiling a policy document once (``policy.compile_policy``, cached by its text), matching
its statements (``Principal`` / ``NotPrincipal``, ``Action`` / ``NotAction``, ``Resource`` /
``NotResource``, ``Condition``), and the evaluation logic (``evaluate``): an explicit Deny wins;
in one account an Allow of the identity policy or of the resource policy suffices; across
accounts both must allow.
Must not know: queues, topics, storage, the wire, where a policy or a caller comes from. Inputs
are plain strings; the providers and the SNS publisher build them.

    evaluate.py    Principal (Caller), Request, Outcome, evaluate(), service_allows()
    policy.py      compile_policy(text, kind) -> Policy of Statements (malformed: no statement)
    conditions.py  the Condition operators, compiled to predicates over a request context
    patterns.py    IAM wildcards (* and ?) as compiled regular expressions
"""

from densho.iam.evaluate import Caller, Outcome, Principal, Request, evaluate, service_allows

__all__ = ["Caller", "Outcome", "Principal", "Request", "evaluate", "service_allows"]
