"""The wire shapes of every SQS and SNS operation, as TypedDicts generated from botocore's models.

Owns: ``sqs`` and ``sns``, one ``<Operation>Request`` (what the wire layer hands a provider) and one
``<Operation>Result`` (what it encodes back) per operation, plus the structures their members
use; and ``generate``, which writes them and checks (``--check``) that they are current.
Must not know: any other densho package. Only the wire layer and the providers import it, and
nothing imports ``generate`` at run time.
"""
