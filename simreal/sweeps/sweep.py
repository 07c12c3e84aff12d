"""Run a sweep end to end: plan the grid, skip finished runs, run the rest, report.

>>> from simreal.sweeps import SweepConfig, resolve_dr, run  # doctest: +SKIP
>>> config = SweepConfig("simreal/PendulumSwingup-v0", widths=(0, 1), seeds=2,
...                      steps=15_000, eval_on=("simreal/PendulumSwingupReal-v0",),
...                      algos=("sac",), dr=resolve_dr("simreal/PendulumSwingup-v0", ["default"]))
>>> run(config, "sweeps/pendulum", jobs=2)  # doctest: +SKIP

The local pool starts its workers with ``spawn``, which re-imports the calling
script: call :func:`run` from a script under ``if __name__ == "__main__":``, as
for any ``multiprocessing`` code.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from simreal.sweeps.backends import check_reachable, import_ray, local_runs, ray_runs
from simreal.sweeps.grid import SweepConfig, SweepError, expand
from simreal.sweeps.report import plot, summarise, table
from simreal.sweeps.run import metric_columns, short_id
from simreal.sweeps.store import SweepStore

PLOT = "transfer.png"


@dataclass(frozen=True)
class SweepSummary:
    """What a sweep call did."""

    out: Path
    total: int
    skipped: int
    finished: int
    failed: int
    seconds: float
    table: str
    rows: list[dict]


def run(
    config: SweepConfig,
    out: str | Path,
    backend: str = "local",
    jobs: int = 1,
    address: str | None = None,
    progress: bool = True,
) -> SweepSummary:
    """Run the sweep's unfinished runs and write its table and plot.

    Args:
        config: The sweep.
        out: The sweep folder (a rerun with the same config resumes it).
        backend: ``local`` (process pool) or ``ray``.
        jobs: Runs at once on the local pool.
        address: Ray cluster address (``None``: a local Ray runtime).
        progress: Show a progress bar with ETA on stderr (on a terminal; plain lines
            per finished run otherwise).

    Returns:
        Counts, wall time and the summary table.

    Raises:
        SweepError: For a folder holding another sweep, or Ray unavailable.
    """
    from tqdm import tqdm

    points = expand(config)
    if backend == "ray":  # before anything is written
        import_ray()
        check_reachable(address)
    env_ids = [config.task, *config.eval_on]
    start = time.perf_counter()
    with SweepStore(out, config) as store:
        todo = [p for p in points if not store.is_done(p)]
        skipped = len(points) - len(todo)
        if backend == "local":
            outcomes = local_runs(todo, str(store.runs_dir), min(jobs, max(len(todo), 1)))
        elif backend == "ray":
            outcomes = ray_runs(todo, str(store.runs_dir), address)
        else:
            raise SweepError(f"backend must be 'local' or 'ray', got {backend!r}.")
        if skipped:
            print(
                f"{store.out}: {skipped} of {len(points)} runs already finished.", file=sys.stderr
            )
        bar = tqdm(  # a bar on a terminal; without one, only the plain per-run lines
            total=len(points),
            initial=skipped,
            unit="run",
            disable=not progress or not sys.stderr.isatty(),
            file=sys.stderr,
        )
        finished = failed = 0
        target = config.eval_on[0] if config.eval_on else config.task
        with bar:
            for point, row, error in outcomes if todo else ():
                if error is not None:
                    failed += 1
                    bar.write(f"{point.run_id}: failed ({type(error).__name__}: {error})")
                else:
                    store.save(point, row)
                    store.write_table(points)
                    finished += 1
                    column = metric_columns(target)[0]
                    bar.write(f"{point.run_id}: {short_id(target)} return {row[column]:.1f}")
                bar.update(1)
        store.write_table(points)
        rows = store.rows(points)
        text = ""
        if rows:
            summary = summarise(rows, env_ids)
            text = table(summary, env_ids)
            plot(summary, env_ids, store.out / PLOT, f"{short_id(config.task)} sweep")
    seconds = time.perf_counter() - start
    if text:
        print(text)
    print(
        f"{len(rows)}/{len(points)} runs finished ({finished} now, {skipped} before"
        f"{f', {failed} failed: rerun to retry them' if failed else ''}) in {seconds:.0f} s; "
        f"table {Path(out) / 'results.csv'}, plot {Path(out) / PLOT}",
        file=sys.stderr,
    )
    return SweepSummary(Path(out), len(points), skipped, finished, failed, seconds, text, rows)
