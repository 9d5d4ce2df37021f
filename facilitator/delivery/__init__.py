"""Delivery: the durable outbox, the runner (the clock), channels and message rendering.

Imports `store`, `schedule`, `plan`, `surveys` and the shared basics.
"""
