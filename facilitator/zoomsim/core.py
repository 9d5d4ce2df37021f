"""What the simulator's route modules share with the simulator: its settings, its request record and
counters, and `SimulatorCore`, the part of the simulator a route handler may use.

Route modules (`meetings`, `registrants`, `admin`) depend on this protocol, not on `ZoomSimulator`,
so the simulator imports them and nothing imports back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from facilitator.clock import Clock
from facilitator.zoom.ratelimit import ENDPOINTS
from facilitator.zoomsim.auth import SimAuth
from facilitator.zoomsim.faults import FaultBoard
from facilitator.zoomsim.live import MeetingView
from facilitator.zoomsim.state import SimState

ALL_SCOPES: tuple[str, ...] = tuple(sorted({e.scopes[0] for e in ENDPOINTS.values()}))


@dataclass
class SimulatorConfig:
    account_id: str = "sim-account"
    client_id: str = "sim-client-id"
    client_secret: str = "sim-client-secret"
    webhook_secret: str = "sim-webhook-secret"
    webhook_url: str | None = None  # where the live simulation posts webhooks (sim_live)
    plan: str = "pro"
    known_hosts: frozenset[str] | None = None  # users of the account; None: anyone @host_domain
    host_domain: str = "example.edu"
    # Also users of the account, whatever known_hosts says: `run --simulate` lists every address
    # in the plan here, so a director's own plan rehearses without a Zoom account of that domain.
    plan_users: frozenset[str] = frozenset()
    token_ttl_seconds: int = 3600
    scopes: tuple[str, ...] = ALL_SCOPES
    enforce_rate_limits: bool = True
    seed: int | None = None
    public_base_url: str = "https://example.zoom.us"  # join URLs point here


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: Mapping[str, str]
    endpoint: str | None  # name from ratelimit.ENDPOINTS, None for /oauth and unknown paths
    status: int
    at: float  # time.monotonic() when it arrived
    fault: str | None = None


@dataclass
class Counters:
    responses_429: int = 0
    by_endpoint: Counter[str] = field(default_factory=Counter)


class SimulatorCore(Protocol):
    """The simulator as its route handlers see it."""

    config: SimulatorConfig
    clock: Clock
    state: SimState
    auth: SimAuth
    faults: FaultBoard
    counters: Counters
    requests: list[RequestRecord]

    def is_known_user(self, email: str) -> bool: ...

    def inject(self, kind: str, count: int = 1, path_prefix: str = "/v2/", delay: float = 1.0) -> None: ...

    def meeting_view(self, meeting_id: int) -> MeetingView: ...
