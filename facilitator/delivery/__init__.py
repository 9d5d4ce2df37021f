"""Delivery: the durable outbox, the runner (the clock), channels and message rendering."""
