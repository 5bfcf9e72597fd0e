"""Drawing off the event loop: `ChartRenderer` runs a chart or a report in a worker thread
or in one long-lived worker process, one at a time, paced so that a queue of pictures never
takes the CPU that other people's button presses need."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

MAX_REST = 1.0  # seconds: a ChartRenderer's longest rest after a drawing

T = TypeVar("T")


class ChartRenderer:
    """Draws off the event loop, at most `at_once` at a time: in a worker thread
    (asyncio.to_thread), or with `process=True` in one long-lived worker process.

    Drawing is mostly Python, so in a thread it holds the GIL while it runs. One drawing at a
    time leaves the event loop competing with one busy thread rather than many; the rest wait
    their turn in a queue that costs nothing. A worker process takes the GIL out of the
    picture (docs/benchmarks.md compares the two); its arguments must pickle.

    Pacing: after each drawing its slot stays taken for `rest` times as long as the drawing
    took, and in all for at least `pace` seconds (never resting more than MAX_REST), so a
    queue of drawings takes at most 1 / (1 + rest) of a core, whatever the scheduler does, and
    twenty pictures asked for at once go out spread over `pace` * 20 seconds instead of in one
    burst of drawing and uploading. The person whose picture it was gets it at once."""

    def __init__(
        self, at_once: int = 1, *, process: bool = False, rest: float = 0.0, pace: float = 0.0
    ) -> None:
        self._slots = asyncio.Semaphore(at_once)
        self._process = process
        self._rest = rest
        self._pace = pace
        self.drawn = 0

    async def run(self, work: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        await self._slots.acquire()
        started = time.perf_counter()
        try:
            if self._process:
                loop = asyncio.get_running_loop()
                call = functools.partial(work, *args, **kwargs)
                result = await loop.run_in_executor(_worker_process(), call)
            else:
                result = await asyncio.to_thread(self._locked, work, *args, **kwargs)
        finally:
            took = time.perf_counter() - started
            rest = min(MAX_REST, max(took * self._rest, self._pace - took))
            if rest > 0:
                asyncio.get_running_loop().call_later(rest, self._slots.release)
            else:
                self._slots.release()
        self.drawn += 1
        return result

    def _locked(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        # Matplotlib's caches (fonts, text layout) are shared between threads; one drawing at
        # a time in the whole process keeps them consistent, whatever `at_once` says.
        with _DRAWING:
            return work(*args, **kwargs)


_DRAWING = threading.Lock()
_POOL: list[ProcessPoolExecutor] = []


def _worker_process() -> ProcessPoolExecutor:
    if not _POOL:
        # Imported here: multiprocessing is only needed once somebody asks for a picture.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: forking a process that runs threads (aiosqlite, the event loop's
        # executor) can copy a held lock into the child. At normal priority: the renderer's
        # rest bounds its share of the CPU, and a lowered priority (nice 19, measured no better
        # for other people's presses) lets a busy machine starve the pictures outright.
        _POOL.append(
            ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("spawn"), initializer=steady_memory
            )
        )
    return _POOL[0]


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD = 128 * 1024  # glibc's default, held fixed


def steady_memory() -> None:
    """Keeps the drawing process's memory from creeping up as picture frames (a few MB of
    pixels each) are kept and dropped: glibc raises its mmap threshold after the first such
    buffer is freed, so later ones are carved out of the heap, which never shrinks. Held at
    the default, every big buffer is mapped and unmapped whole (drawing every chart there is
    eight times over: 199 MB resident without this, 144 MB with it). Without glibc, nothing."""
    import ctypes
    import ctypes.util

    with contextlib.suppress(OSError, AttributeError, TypeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
