"""A stand-in for Zoom's REST API, over real HTTP, with Zoom's limits and failures.

Everything the client calls works here with the same paths, bodies and answers as on Zoom
(`/oauth/token`, `/v2/...`), including what makes Zoom hard to use well: expiring tokens,
per-category per-second limits answered with real 429s and `X-RateLimit-*` headers, 30
registrants per batch, 3 registrant adds per email per meeting per day, 100 meeting
creates/updates per host per day, 100 rooms / 1000 pre-assigned people, and injected faults
(see sim_faults.py). Time comes from a `Clock`, so daily limits and token expiry follow a
manual or scaled clock in tests and demos. Per-second limits follow real time, as the client's
pacing does. Admin endpoints under `/_sim/` let other processes inject faults and read state.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from aiohttp import web

from facilitator.clock import Clock, SystemClock
from facilitator.config import ZoomPlan
from facilitator.zoom.ratelimit import ENDPOINTS, PLAN_LIMITS, Endpoint, RollingWindow
from facilitator.zoomsim.admin import AdminRoutes
from facilitator.zoomsim.auth import SimAuth
from facilitator.zoomsim.core import ALL_SCOPES, Counters, RequestRecord, SimulatorConfig
from facilitator.zoomsim.faults import FaultBoard, qps_limited
from facilitator.zoomsim.http import ZoomHTTPError
from facilitator.zoomsim.live import MeetingView
from facilitator.zoomsim.meetings import MeetingRoutes
from facilitator.zoomsim.registrants import RegistrantRoutes
from facilitator.zoomsim.state import SimState

# Every scope the bot can use (granular, account-wide); a config may grant fewer to test `doctor`.
SIMULATOR_KEY: web.AppKey[ZoomSimulator] = web.AppKey("zoom_simulator")


class ZoomSimulator:
    """`ZoomSimulator(config, clock).app` is an aiohttp application that behaves like Zoom."""

    def __init__(self, config: SimulatorConfig | None = None, clock: Clock | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.clock: Clock = clock or SystemClock()
        self.state = SimState(self.config.seed, self.config.public_base_url)
        self.auth = SimAuth(
            account_id=self.config.account_id,
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            scopes=self.config.scopes,
            ttl_seconds=self.config.token_ttl_seconds,
            clock=self.clock,
            api_url="https://api.zoom.us",
        )
        self.faults = FaultBoard(self.auth.expire_all)
        self.limits = PLAN_LIMITS[ZoomPlan(self.config.plan)]
        self.windows = {cat: RollingWindow(n, 1.0) for cat, n in self.limits.items()}
        self.requests: list[RequestRecord] = []
        self.counters = Counters()
        self._routes = {(e.method, "/v2" + e.path): e for e in ENDPOINTS.values()}
        self.meetings_routes = MeetingRoutes(self)
        self.registrant_routes = RegistrantRoutes(self, self.meetings_routes)
        self.app = web.Application(middlewares=[self._middleware])
        self.app[SIMULATOR_KEY] = self
        self.app.router.add_post("/oauth/token", self.auth.token_endpoint)
        self.meetings_routes.register(self.app)
        self.registrant_routes.register(self.app)
        AdminRoutes(self).register(self.app)

    # --- what tests and the live simulation use ---------------------------------------------

    def is_known_user(self, email: str) -> bool:
        if email.lower() in {u.lower() for u in self.config.plan_users}:
            return True
        if self.config.known_hosts is not None:
            return email.lower() in {h.lower() for h in self.config.known_hosts}
        return email.lower().endswith("@" + self.config.host_domain.lower())

    def inject(self, kind: str, count: int = 1, path_prefix: str = "/v2/", delay: float = 1.0) -> None:
        """Make the next `count` requests under `path_prefix` fail as `kind` (see sim_faults)."""
        self.faults.inject(kind, count=count, path_prefix=path_prefix, delay=delay)

    def meetings_ids(self) -> list[int]:
        return list(self.state.meetings)

    def meeting_view(self, meeting_id: int) -> MeetingView:
        m = self.state.meetings[meeting_id]
        rooms = (m.settings.get("breakout_room") or {}).get("rooms") or []
        alternative = [h.strip() for h in str(m.settings.get("alternative_hosts", "")).split(";")]
        return MeetingView(
            meeting_id=m.id,
            uuid=m.uuid,
            topic=m.topic,
            host_email=m.host_email,
            start_time=m.start_time,
            duration_minutes=m.duration,
            rooms=tuple((r["name"], tuple(p.lower() for p in r.get("participants", []))) for r in rooms),
            registrants=tuple((r.email, r.first_name, r.id) for r in m.registrants.values()),
            alternative_hosts=tuple(h.lower() for h in alternative if h),
        )

    def end_meeting(self, meeting_id: int, participants: Iterable[Mapping[str, Any]] = ()) -> None:
        """Mark a meeting as over and record who attended (for the past-participants endpoint)."""
        meeting = self.state.meetings[meeting_id]
        meeting.ended = True
        meeting.status = "waiting"
        meeting.past_participants.extend(dict(p) for p in participants)

    def count(self, endpoint: str, status: int | None = None) -> int:
        """Requests to `endpoint` that reached a handler (optionally: that got `status`)."""
        return sum(
            1 for r in self.requests if r.endpoint == endpoint and (status is None or r.status == status)
        )

    # --- the request pipeline ---------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        endpoint = self._endpoint(request)
        arrived = time.monotonic()
        record_fault = len(self.faults.fired)
        try:
            if request.path.startswith("/_sim/"):
                response = await handler(request)
            else:
                category = (endpoint.category.value, self.limits[endpoint.category]) if endpoint else None
                response = await self.faults.apply(
                    request, category, lambda r: self._serve(r, endpoint, handler)
                )
        except ZoomHTTPError as exc:
            response = exc.response()
        if response.status == 429:
            self.counters.responses_429 += 1
        if endpoint is not None:
            self._rate_headers(response, endpoint)
        fault = self.faults.fired[-1] if len(self.faults.fired) > record_fault else None
        self.requests.append(
            RequestRecord(
                request.method,
                request.path,
                dict(request.query),
                endpoint.name if endpoint else None,
                response.status,
                arrived,
                fault,
            )
        )
        return response

    async def _serve(
        self,
        request: web.Request,
        endpoint: Endpoint | None,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        if endpoint is not None:
            self.auth.check(request, endpoint.scopes)
            window = self.windows[endpoint.category]
            if self.config.enforce_rate_limits and not window.try_acquire():
                limited = self.counters.responses_429
                raise qps_limited(endpoint.category.value, window.limit, limited)
            self.counters.by_endpoint[endpoint.name] += 1
        elif request.path.startswith("/v2/"):
            raise ZoomHTTPError(404, 404, "Not Found")  # unknown path, Zoom style
        return await handler(request)

    def _endpoint(self, request: web.Request) -> Endpoint | None:
        route = request.match_info.route
        resource = route.resource
        if resource is None:
            return None
        return self._routes.get((request.method, resource.canonical))

    def _rate_headers(self, response: web.StreamResponse, endpoint: Endpoint) -> None:
        if response.prepared:
            return
        window = self.windows[endpoint.category]
        response.headers.setdefault("X-RateLimit-Category", endpoint.category.value)
        response.headers.setdefault("X-RateLimit-Limit", str(window.limit))
        response.headers.setdefault("X-RateLimit-Remaining", str(max(0, window.remaining())))


# --- running it alone: `facilitator zoom-sim --port 9100` -------------------------------------


def settings_lines(config: SimulatorConfig, base_url: str) -> list[str]:
    """The settings that point the bot at this simulator, with `.env` names."""
    return [
        f"ZOOM_API_BASE_URL={base_url}/v2",
        f"ZOOM_OAUTH_BASE_URL={base_url}",
        f"ZOOM_ACCOUNT_ID={config.account_id}",
        f"ZOOM_CLIENT_ID={config.client_id}",
        f"ZOOM_CLIENT_SECRET={config.client_secret}",
        f"ZOOM_WEBHOOK_SECRET_TOKEN={config.webhook_secret}",
        f"ZOOM_PLAN={config.plan}",
    ]


def random_config(**overrides: Any) -> SimulatorConfig:
    """Fresh credentials for one run, so nothing real-looking is ever fixed in code."""
    values: dict[str, Any] = {
        "account_id": secrets.token_urlsafe(16),
        "client_id": secrets.token_urlsafe(16),
        "client_secret": secrets.token_urlsafe(24),
        "webhook_secret": secrets.token_urlsafe(24),
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    return SimulatorConfig(**values)


async def serve_simulator(
    port: int,
    host: str = "127.0.0.1",
    *,
    config: SimulatorConfig | None = None,
    clock: Clock | None = None,
    out: Callable[[str], None] = lambda line: print(line, flush=True),
) -> None:
    """Serve the simulator until cancelled; first print the settings that point the bot at it."""
    sim = ZoomSimulator(config or random_config(), clock)
    runner = web.AppRunner(sim.app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    actual = next((a[1] for a in runner.addresses if isinstance(a, tuple)), port)
    for line in settings_lines(sim.config, f"http://{host}:{actual}"):
        out(line)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="facilitator zoom-sim", description="Run the Zoom simulator.")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--plan", choices=[p.value for p in ZoomPlan], default="pro")
    parser.add_argument("--account-id")
    parser.add_argument("--client-id")
    parser.add_argument("--client-secret")
    parser.add_argument("--webhook-secret")
    parser.add_argument("--webhook-url")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args(argv)
    config = random_config(
        account_id=args.account_id,
        client_id=args.client_id,
        client_secret=args.client_secret,
        webhook_secret=args.webhook_secret,
        webhook_url=args.webhook_url,
        plan=args.plan,
        seed=args.seed,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_simulator(args.port, args.host, config=config))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = [
    "ALL_SCOPES",
    "SIMULATOR_KEY",
    "RequestRecord",
    "SimulatorConfig",
    "ZoomSimulator",
    "main",
    "random_config",
    "serve_simulator",
    "settings_lines",
]
