"""densho: a self-hosted, wire-compatible Amazon SQS + Amazon SNS service."""

__version__ = "0.1.0"
