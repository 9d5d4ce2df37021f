"""A runner in its own process, for the kill -9 test: `python -m tests.delivery.runner_proc DB PORT`.

It sends everything due (a manual clock standing at the fixture time) to the SMTP server on
PORT, then exits 0. The test kills it with SIGKILL part-way through and starts it again.
"""

from __future__ import annotations

import asyncio
import sys

from facilitator.clock import ManualClock
from facilitator.config import load_settings
from facilitator.delivery.channels.email import EmailChannel
from facilitator.delivery.runner import Runner
from facilitator.store.sqlite import SqliteStore
from tests.delivery.support import plain_render
from tests.store.factories import T0


async def main(db: str, port: int) -> None:
    store = await SqliteStore.open(db)
    clock = ManualClock(T0)
    settings = load_settings(
        smtp_host="127.0.0.1", smtp_port=port, smtp_security="plain", smtp_max_connections=2
    )
    channel = EmailChannel(settings, clock=clock)
    runner = Runner(store, clock, {"email": channel}, plain_render)
    await runner.start()
    print(f"recovered {runner.recovered}", flush=True)
    await runner.wait_idle()
    await runner.stop()
    await channel.close()
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
