"""Domain errors of the engine, with the fields a caller needs to explain them.

Owns: the exception tree below. The provider layer maps each class to an AWS code, status and
message in one table (``densho.providers.errors``).
Must not know: AWS error codes or HTTP.

    DomainError
    ├── QueueNotFound(name)
    ├── QueueNameExists(name)
    ├── QueueDeletedRecently(name)
    ├── InvalidQueueName(name, fifo)          — fifo: the queue type the name was checked for
    ├── InvalidAttributeName(name)
    ├── InvalidAttributeValue(name, reason)
    ├── InvalidPolicyValue(parameter, value, reason) — a policy document (RedrivePolicy, …)
    ├── InvalidParameter(reason)            — a parameter value out of its domain
    ├── MissingParameter(name)
    ├── InvalidMessageContents(char)
    ├── MessageTooLong(limit)
    ├── ReceiptHandleInvalid(handle)
    ├── MessageNotInflight()
    ├── MessageNotAvailable(handle)         — visibility change on a message that is gone
    ├── PurgeInProgress(queue_name)
    ├── TooManyAttributes(count)
    ├── LabelExists(label) / LabelNotFound(label)
    ├── Unsupported(reason)
    └── batch errors: EmptyBatch, TooManyEntries, BatchIdsNotDistinct, InvalidBatchEntryId,
        BatchTooLong
"""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, *args: object) -> None:
        super().__init__(*args)


class QueueNotFound(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class QueueNameExists(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class QueueDeletedRecently(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class InvalidQueueName(DomainError):
    def __init__(self, name: str, fifo: bool | None = None) -> None:
        super().__init__(name, fifo)
        self.name = name
        # The queue type the name was checked for (the FifoQueue attribute decides it, not the
        # name); None: infer it from the name's suffix.
        self.fifo = name.endswith(".fifo") if fifo is None else fifo


class InvalidAttributeName(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class InvalidAttributeValue(DomainError):
    def __init__(self, name: str, reason: str = "") -> None:
        super().__init__(name, reason)
        self.name = name
        self.reason = reason


class InvalidPolicyValue(DomainError):
    """A JSON policy attribute whose document is well-formed JSON but breaks a rule."""

    def __init__(self, parameter: str, value: str, reason: str) -> None:
        super().__init__(parameter, value, reason)
        self.parameter = parameter
        self.value = value
        self.reason = reason


class InvalidParameter(DomainError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MissingParameter(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class InvalidMessageContents(DomainError):
    def __init__(self, char: str) -> None:
        super().__init__(char)
        self.char = char


class MessageTooLong(DomainError):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class ReceiptHandleInvalid(DomainError):
    def __init__(self, handle: str) -> None:
        super().__init__(handle)
        self.handle = handle


class MessageNotInflight(DomainError):
    pass


class MessageNotAvailable(DomainError):
    def __init__(self, handle: str) -> None:
        super().__init__(handle)
        self.handle = handle


class PurgeInProgress(DomainError):
    def __init__(self, queue_name: str) -> None:
        super().__init__(queue_name)
        self.queue_name = queue_name


class TooManyAttributes(DomainError):
    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


class LabelExists(DomainError):
    def __init__(self, label: str) -> None:
        super().__init__(label)
        self.label = label


class LabelNotFound(DomainError):
    def __init__(self, label: str) -> None:
        super().__init__(label)
        self.label = label


class Unsupported(DomainError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EmptyBatch(DomainError):
    pass


class TooManyEntries(DomainError):
    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


class BatchIdsNotDistinct(DomainError):
    def __init__(self, entry_id: str) -> None:
        super().__init__(entry_id)
        self.entry_id = entry_id


class InvalidBatchEntryId(DomainError):
    def __init__(self, entry_id: str) -> None:
        super().__init__(entry_id)
        self.entry_id = entry_id


class BatchTooLong(DomainError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(size, limit)
        self.size = size
        self.limit = limit


# Message move tasks (densho.sqs.move_tasks):
#     ├── ResourceNotFound(parameter)        — the queue an ARN parameter names does not exist
#     └── MoveTaskNotFound(task_id)          — no running task with that handle


class ResourceNotFound(DomainError):
    def __init__(self, parameter: str) -> None:
        super().__init__(parameter)
        self.parameter = parameter


class MoveTaskNotFound(DomainError):
    def __init__(self, task_id: str) -> None:
        super().__init__(task_id)
        self.task_id = task_id
