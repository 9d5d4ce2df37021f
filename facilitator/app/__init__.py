"""The running system: the engine that wires store, channels, runner, Zoom and web for each session,
the escalation watcher, the simulation wiring for `run --simulate`, and the local mail sink.

Imports `web`, `delivery`, `zoom`, `store`, `schedule`, `plan` and the shared basics; only `cli`
imports `app`. `app.simulation` is the one production module allowed to import `zoomsim`.
"""
