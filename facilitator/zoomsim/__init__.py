"""The Zoom simulator: Zoom's REST API (OAuth, meetings, registrants, limits, faults), a live meeting
played on a clock that sends signed webhooks, and scripted facilitators.

It depends on `zoom` (models, errors, rate-limit tables, webhook signing) and never the other way
round. Only the simulation wiring (`app.simulation`), the `zoom-sim` command, tests and benchmarks
import it; production paths never do (tests/test_layout.py checks this).
"""
