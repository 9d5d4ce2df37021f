"""The writer's lease: one holder at a time, named when refused, taken over when abandoned."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from facilitator.app.lease_keeper import LeaseKeeper
from facilitator.store.lease import LeaseHeldError
from facilitator.store.sqlite import SqliteStore
from tests.store.factories import T0

S = timedelta(seconds=1)


async def two_stores(tmp_path: Path) -> tuple[SqliteStore, SqliteStore]:
    """Two connections to one file: two processes, as far as SQLite can tell."""
    return await SqliteStore.open(tmp_path / "x.db"), await SqliteStore.open(tmp_path / "x.db")


async def test_a_second_holder_is_refused_with_the_first_named(tmp_path: Path) -> None:
    a, b = await two_stores(tmp_path)
    assert await a.acquire_lease("run:1", "facilitator run", T0) is None
    standing = await b.acquire_lease("serve:2", "facilitator serve", T0 + S)
    assert standing is not None and standing.holder == "run:1"
    assert standing.pid == os.getpid() and standing.since == T0
    assert "`facilitator run` (pid" in standing.describe() and "since" in standing.describe()
    assert await a.acquire_lease("run:1", "facilitator run", T0 + 2 * S) is None  # its own: fine
    await a.close()
    await b.close()


async def test_an_expired_lease_is_taken_over_and_its_old_holder_learns_it(tmp_path: Path) -> None:
    a, b = await two_stores(tmp_path)
    await a.acquire_lease("run:1", "facilitator run", T0, 30 * S)
    assert await b.acquire_lease("run:2", "facilitator run", T0 + 29 * S, 30 * S) is not None
    assert await a.renew_lease("run:1", T0 + 29 * S, 30 * S)  # renewed: lives until T0+59s
    assert await b.acquire_lease("run:2", "facilitator run", T0 + 58 * S, 30 * S) is not None
    assert await b.acquire_lease("run:2", "facilitator run", T0 + 60 * S, 30 * S) is None
    assert not await a.renew_lease("run:1", T0 + 61 * S)  # no longer its lease
    await a.release_lease("run:1")  # releasing someone else's lease changes nothing
    lease = await b.get_lease()
    assert lease is not None and lease.holder == "run:2"
    await b.release_lease("run:2")
    assert await b.get_lease() is None
    await a.close()
    await b.close()


async def test_a_lease_of_a_crashed_process_on_this_host_is_taken_over_at_once(tmp_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead_pid = int(gone.stdout)
    a, b = await two_stores(tmp_path)
    await a.acquire_lease("run:1", "facilitator run", T0, 30 * S)
    a._conn.execute("UPDATE leases SET pid = ?", (dead_pid,))  # as if the crashed process held it
    assert await b.acquire_lease("serve:2", "facilitator serve", T0 + S, 30 * S) is None
    await a.close()
    await b.close()


async def test_the_keeper_renews_refuses_a_second_and_reports_a_lost_lease(tmp_path: Path) -> None:
    a, b = await two_stores(tmp_path)
    lost: list[str] = []
    first = LeaseKeeper(a, "facilitator run", "x.db", ttl=0.3 * S, on_lost=lost.append)
    await first.acquire()
    await asyncio.sleep(0.5)  # longer than the ttl: only renewals keep it
    second = LeaseKeeper(b, "facilitator serve", "x.db", ttl=0.3 * S)
    with pytest.raises(LeaseHeldError, match=r"in use by `facilitator run`"):
        await second.acquire()
    # Someone forces the lease away (as after a stall past its expiry): the keeper notices.
    await b.acquire_lease("other", "facilitator serve", first.clock.now(), can_take=lambda *_: True)
    await asyncio.sleep(0.4)
    assert lost and "took over" in lost[0]
    await first.release()
    lease = await b.get_lease()
    assert lease is not None and lease.holder == "other"  # not released by the one who lost it
    await a.close()
    await b.close()
