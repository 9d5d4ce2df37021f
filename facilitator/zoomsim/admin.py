"""The simulator's admin endpoints under `/_sim/`: inject faults and read state from another process.

Used by the benchmark and by demos that run the simulator alone (`facilitator zoom-sim`).
They need no token: the simulator listens on loopback and holds only invented data.
"""

from __future__ import annotations

from aiohttp import web

from facilitator.zoomsim.core import SimulatorCore


class AdminRoutes:
    def __init__(self, sim: SimulatorCore) -> None:
        self.sim = sim

    def register(self, app: web.Application) -> None:
        app.router.add_get("/_sim/state", self.state)
        app.router.add_get("/_sim/requests", self.requests)
        app.router.add_post("/_sim/faults", self.inject)
        app.router.add_delete("/_sim/faults", self.clear)

    async def state(self, request: web.Request) -> web.Response:
        meetings = []
        for m in self.sim.state.meetings.values():
            view = self.sim.meeting_view(m.id)
            meetings.append(
                {
                    "id": m.id,
                    "uuid": m.uuid,
                    "topic": m.topic,
                    "host_email": m.host_email,
                    "start_time": view.start_time.isoformat(),
                    "rooms": [{"name": n, "participants": list(p)} for n, p in view.rooms],
                    "registrants": len(m.registrants),
                }
            )
        return web.json_response(
            {
                "meetings": meetings,
                "requests_by_endpoint": dict(self.sim.counters.by_endpoint),
                "responses_429": self.sim.counters.responses_429,
                "tokens_issued": self.sim.auth.issued,
                "chat_messages": len(self.sim.state.chat),
                "pending_faults": [f.kind for f in self.sim.faults.faults],
            }
        )

    async def requests(self, request: web.Request) -> web.Response:
        rows = [
            {
                "method": r.method,
                "path": r.path,
                "endpoint": r.endpoint,
                "status": r.status,
                "at": r.at,
                "fault": r.fault,
            }
            for r in self.sim.requests
            if not r.path.startswith("/_sim/")
        ]
        return web.json_response(rows)

    async def inject(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
            self.sim.inject(
                str(data["kind"]),
                count=int(data.get("count", 1)),
                path_prefix=str(data.get("path_prefix", "/v2/")),
                delay=float(data.get("delay", 1.0)),
            )
        except (ValueError, KeyError, TypeError) as exc:
            return web.json_response({"error": f"bad fault: {exc}"}, status=400)
        return web.json_response({"pending": len(self.sim.faults.faults)}, status=201)

    async def clear(self, request: web.Request) -> web.Response:
        self.sim.faults.clear()
        return web.Response(status=204)
