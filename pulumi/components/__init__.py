"""The stack's component resources, one per concern: queues, storage, IAM, functions, API."""
