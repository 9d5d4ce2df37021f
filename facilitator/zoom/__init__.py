"""Zoom, the real thing: REST client (OAuth, rate limits, retries), provisioning, webhooks, live room
state, meeting drivers and `doctor`.

Imports `store`, `schedule`, `plan` and the shared basics; never `zoomsim` (the simulator depends on
this package, not the other way round).
"""
