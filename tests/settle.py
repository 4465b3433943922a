"""Wait for "nothing more will happen", as an event, instead of sleeping and hoping.

A test that checks that something did NOT happen (a cancelled run called no tool, started no
model call) must first know that it no longer can. Sleeping for a while lets a loaded machine
fail such a test at random, or pass it wrongly. Here the test waits until every task started
since a snapshot has ended (bounded): after that, nothing those tasks would have done can
still happen on this event loop.
"""

from __future__ import annotations

import asyncio

SETTLE_TIMEOUT = 20.0  # seconds: a bound, never a pace; settling normally takes a few loop turns


def running_tasks() -> set[asyncio.Task]:
    """The tasks on the running loop now (take this snapshot before the work the test will watch)."""
    return set(asyncio.all_tasks())


async def settled(before: set[asyncio.Task], timeout: float = SETTLE_TIMEOUT) -> None:
    """Return once every task started since `before` has ended; fail with the stragglers if `timeout` passes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        others = {task for task in asyncio.all_tasks()
                  if task not in before and task is not asyncio.current_task() and not task.done()}
        if not others:
            return
        left = deadline - loop.time()
        assert left > 0, f"still running after {timeout} s: {others}"
        await asyncio.wait(others, timeout=left)
