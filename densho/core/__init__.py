"""What every layer shares: domain records, storage records and errors, the clock, ids.

Owns: values only — frozen records of queues (with their typed configuration), messages, topics,
subscriptions, move tasks and outbox rows; the domain error tree; time (``Clock``) and id
generation.
Must not know: any other densho package (it is the bottom layer), SQL, HTTP, the wire.
"""
