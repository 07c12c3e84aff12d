"""A sweep's folder: its record, one result file per finished run, the results table.

Layout::

    sweeps/x/sweep.json          the sweep's settings (a rerun must match them)
    sweeps/x/results/<run>.json  one finished run's row, written atomically
    sweeps/x/results.csv         every finished run, one row each, rebuilt atomically
    sweeps/x/runs/<run>/         the run's policy, checkpoints and TensorBoard logs

A run counts as finished exactly when its result file exists, and result files
appear only by atomic rename, so a sweep killed at any moment (SIGKILL included)
has lost no finished run, and its rerun redoes none.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
from pathlib import Path
from typing import Any

from simreal.atomic_io import write_atomic, write_json_atomic
from simreal.sweeps.grid import RunPoint, SweepConfig, SweepError

RECORD = "sweep.json"
RESULTS = "results"
TABLE = "results.csv"
RUNS = "runs"
LOCK = ".lock"


class SweepStore:
    """The folder of one sweep; opening it refuses a folder that holds another sweep.

    Args:
        out: The sweep folder (created if missing).
        config: The sweep about to run.

    Raises:
        SweepError: If ``out`` holds another sweep, other files, or another process
            is running a sweep in it.
    """

    def __init__(self, out: str | Path, config: SweepConfig) -> None:
        self.out = Path(out)
        if self.out.exists() and not self.out.is_dir():
            raise SweepError(f"--out: {self.out} exists and is not a folder; choose another path.")
        record = self.out / RECORD
        if record.is_file():
            try:
                previous = json.loads(record.read_text())
            except ValueError:
                raise SweepError(
                    f"{record} is not a sweep record; delete {self.out} to start fresh."
                ) from None
            current = json.loads(json.dumps(config.to_dict()))  # tuples -> lists
            if previous != current:
                changed = sorted(
                    key
                    for key in set(previous) | set(current)
                    if previous.get(key) != current.get(key)
                )
                raise SweepError(
                    f"{self.out} holds a different sweep (it differs in: {', '.join(changed)}). "
                    "Rerun that sweep's own command to resume it, or choose another --out "
                    "(or delete the folder) to start fresh."
                )
        elif self.out.is_dir() and any(self.out.iterdir()):
            raise SweepError(
                f"--out: {self.out} is not empty and holds no sweep; choose another folder."
            )
        self.out.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.out / LOCK, "a")  # noqa: SIM115 - held for the store's lifetime
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise SweepError(
                f"another simreal sweep is running in {self.out}; wait for it or stop it first."
            ) from None
        write_json_atomic(record, config.to_dict())
        (self.out / RESULTS).mkdir(exist_ok=True)
        self.config = config
        self._rows: dict[str, dict[str, Any]] = {}  # finished rows, by run id

    @property
    def runs_dir(self) -> Path:
        """Folder of the run folders."""
        return self.out / RUNS

    def result_path(self, point: RunPoint) -> Path:
        """Where a run's row is stored once it is finished."""
        return self.out / RESULTS / f"{point.run_id}.json"

    def is_done(self, point: RunPoint) -> bool:
        """Whether the run has finished (its row is stored)."""
        return self.result_path(point).is_file()

    def save(self, point: RunPoint, row: dict[str, Any]) -> None:
        """Store a finished run's row (atomic)."""
        write_json_atomic(self.result_path(point), row)
        self._rows[point.run_id] = row

    def rows(self, points: list[RunPoint]) -> list[dict[str, Any]]:
        """The rows of the finished runs, in grid order (each file read once)."""
        for point in points:
            if point.run_id not in self._rows and self.is_done(point):
                self._rows[point.run_id] = json.loads(self.result_path(point).read_text())
        return [self._rows[p.run_id] for p in points if p.run_id in self._rows]

    def write_table(self, points: list[RunPoint]) -> Path:
        """Rewrite ``results.csv`` from the finished runs (atomic)."""
        rows = self.rows(points)
        columns: list[str] = []
        for row in rows:
            columns += [key for key in row if key not in columns]
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        path = self.out / TABLE
        write_atomic(path, lambda tmp: tmp.write_text(text.getvalue()))
        return path

    def close(self) -> None:
        """Release the folder's lock."""
        self._lock.close()

    def __enter__(self) -> SweepStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
