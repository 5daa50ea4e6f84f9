"""Group commit: the requests of one use case that arrive together are answered from one
transaction.

A gate decision's transaction ends by appending to the audit log, whose head every writer locks
until its commit is durable: decisions taken one per transaction pass that point one after
another, each paying a round trip per statement there and a disk flush. The requests that
arrive while a batch runs wait for the next one, which takes them all (up to `most`) through the
use case's batch form: one append and one flush for all. A lone request is taken at once, so an
idle service answers as fast as before. Should the batch fail as a whole, each of its requests is
run alone in its own transaction, so one bad request never fails the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

Call = TypeVar("Call")
Answer = TypeVar("Answer")


class GroupCommit(Generic[Call, Answer]):
    """Runs `together(calls)` (one transaction; an answer or the exception for each call) on the
    calls submitted meanwhile, at most `lanes` batches at a time, off the event loop; falls back
    to `alone(call)` per call when `together` raises."""

    def __init__(
        self,
        together: Callable[[Sequence[Call]], Sequence[Answer | Exception]],
        alone: Callable[[Call], Answer],
        *,
        most: int = 32,
        lanes: int = 2,
    ) -> None:
        self._together = together
        self._alone = alone
        self._most = most
        self._lanes = lanes
        self._waiting: list[tuple[Call, asyncio.Future[Answer]]] = []
        self._running = 0
        self._tasks: set[asyncio.Task[None]] = set()  # the loop keeps only weak references

    async def submit(self, call: Call) -> Answer:
        """The call's answer, or the exception it alone raised."""
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append((call, future))
        if self._running < self._lanes:
            self._running += 1
            task = asyncio.get_running_loop().create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self._most]
                del self._waiting[: self._most]
                await self._answer(batch)
        finally:
            self._running -= 1

    async def _answer(self, batch: list[tuple[Call, asyncio.Future[Answer]]]) -> None:
        calls = [call for call, _ in batch]
        try:
            try:
                answers = await run_in_threadpool(self._together, calls)
            except Exception:  # nothing of the batch was written: each call again, on its own
                answers = [await run_in_threadpool(self._one, call) for call in calls]
        except BaseException:  # cancelled (the server stops): no request waits forever
            for _, future in batch:
                if not future.done():
                    future.set_exception(RuntimeError("the service stopped"))
            raise
        for (_, future), answer in zip(batch, answers, strict=True):
            if future.done():  # the request went away meanwhile
                continue
            if isinstance(answer, Exception):
                future.set_exception(answer)
            else:
                future.set_result(answer)

    def _one(self, call: Call) -> Answer | Exception:
        try:
            return self._alone(call)
        except Exception as exc:
            return exc
