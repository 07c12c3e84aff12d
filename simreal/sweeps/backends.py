"""Where the runs of a sweep execute: a local process pool, or Ray.

Both backends take the same runs and yield ``(point, row, error)`` as runs
finish, in completion order; the sweep stores rows as they arrive. Neither is a
scheduler of our own: the local one is :class:`concurrent.futures.ProcessPoolExecutor`
and the distributed one is Ray's task API.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context
from typing import Any

from simreal.sweeps.grid import RunPoint, SweepError
from simreal.sweeps.run import execute

BACKENDS = ("local", "ray")
Outcome = tuple[RunPoint, "dict[str, Any] | None", "BaseException | None"]


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: end this worker when the sweep process is gone.

    A pool worker outlives a SIGKILLed parent and would go on training; the rerun
    of the sweep would then train the same run twice at once. A daemon thread
    polls the parent and ends the worker instead. An idle worker ignores Ctrl-C
    (the sweep process handles it); a training one checkpoints and stops.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def local_runs(points: list[RunPoint], runs_dir: str, jobs: int) -> Iterator[Outcome]:
    """Run on a local process pool of ``jobs`` workers (one thread each).

    Worker processes are started with ``spawn`` (MuJoCo and torch do not survive
    ``fork`` of a threaded parent reliably).
    """
    if jobs == 1 or len(points) == 1:
        for point in points:  # in-process: simplest to debug, no pickling
            try:
                yield point, execute(point, runs_dir), None
            except Exception as error:  # noqa: BLE001 - reported per run, the sweep goes on
                yield point, None, error
        return
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=get_context("spawn"),
        initializer=_exit_with_parent,
        initargs=(os.getpid(),),
    )
    queue = iter(points)
    try:
        # One run per worker at a time, the next submitted as one finishes: on Ctrl-C no
        # run is waiting in the pool's queue, and the running ones checkpoint and stop.
        running = {pool.submit(execute, p, runs_dir): p for p in itertools.islice(queue, jobs)}
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                point = running.pop(future)
                error = future.exception()
                if isinstance(error, KeyboardInterrupt):  # a worker's run stopped by Ctrl-C
                    raise KeyboardInterrupt
                yield point, (None if error else future.result()), error
                following = next(queue, None)
                if following is not None:
                    running[pool.submit(execute, following, runs_dir)] = following
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def import_ray():  # noqa: ANN201 - the ray module
    """Import Ray, or say in one sentence how to install it or fall back.

    Raises:
        SweepError: If Ray is not installed.
    """
    try:
        import ray
    except ImportError:
        raise SweepError(
            "--backend ray needs Ray, which is not installed: pip install 'simreal[ray]' "
            "(or pip install ray), or leave out --backend to use the local process pool."
        ) from None
    return ray


def check_reachable(address: str | None, timeout: float = 5.0) -> None:
    """Fail fast on a cluster address nobody answers at (``ray.init`` would retry for minutes).

    Raises:
        SweepError: If ``host:port`` refuses or does not answer within ``timeout`` seconds.
    """
    if address in (None, "auto", "local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except ValueError:
        raise SweepError(
            f"--ray-address: {address!r} is not host:port (e.g. ray://head:10001 or auto)."
        ) from None
    except OSError as error:
        raise SweepError(
            f"cannot reach the Ray cluster at {address} ({error.strerror or error}); start one "
            "with `ray start --head`, check --ray-address, or leave out --backend to use the "
            "local process pool."
        ) from None


def ray_runs(points: list[RunPoint], runs_dir: str, address: str | None) -> Iterator[Outcome]:
    """Run as Ray tasks (one CPU each) on a cluster, or on a local Ray runtime.

    On a multi-node cluster every node needs simreal installed and ``runs_dir``
    on a shared file system (the run folders are written where the run executes;
    the results table is written by this process either way).

    Raises:
        SweepError: If Ray is not installed or the cluster cannot be reached.
    """
    ray = import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        check_reachable(address)
        try:
            ray.init(
                address=address,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        except (ConnectionError, RuntimeError, ValueError) as error:
            where = f"the Ray cluster at {address}" if address else "a local Ray runtime"
            raise SweepError(
                f"cannot reach {where} ({str(error).splitlines()[0]}); start one with "
                "`ray start --head`, check --ray-address, or leave out --backend to use "
                "the local process pool."
            ) from None
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(execute)
        pending = {task.remote(point, runs_dir): point for point in points}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                point = pending.pop(ref)
                try:
                    yield point, ray.get(ref), None
                except ray.exceptions.RayError as error:
                    yield point, None, error
    finally:
        if started_here:
            ray.shutdown()
