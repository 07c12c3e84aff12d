"""The task a demonstration dataset was recorded on, kept in the file itself.

``simreal collect`` writes the env id as the table's metadata under
:data:`TASK_KEY`: Parquet schema metadata, an HDF5 root attribute, an NPZ entry,
or a ``# simreal.task: <id>`` comment line at the top of a CSV. ``simreal bc``
reads it back so that demonstrations of one task are never cloned for another
whose spaces happen to have the same shapes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

TASK_KEY = "simreal.task"
_CSV_PREFIX = f"# {TASK_KEY}: "


def read_dataset_task(path: str | Path) -> str | None:
    """Return the env id a dataset records, or ``None`` for a file without one.

    Args:
        path: A CSV, Parquet, HDF5 or NPZ table (the suffix says which).

    Returns:
        The recorded env id, or ``None`` (older datasets, other tools' tables).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(newline="") as f:
            for line in f:
                if not line.startswith("#"):
                    return None
                if line.startswith(_CSV_PREFIX):
                    return line[len(_CSV_PREFIX) :].strip()
        return None
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        metadata = pq.read_schema(path).metadata or {}
        value = metadata.get(TASK_KEY.encode())
        return None if value is None else value.decode()
    if suffix in (".h5", ".hdf5"):
        import h5py

        with h5py.File(path, "r") as f:
            value = f.attrs.get(TASK_KEY)
        return None if value is None else str(value)
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            return str(data[TASK_KEY]) if TASK_KEY in data.files else None
    return None


def same_task(recorded: str, task: str) -> bool:
    """Whether demonstrations recorded on ``recorded`` may be cloned for ``task``.

    The same id, or a simreal task and its real proxy (the same task, either plant).
    """
    if recorded == task:
        return True
    from simreal.envs.registry import task_for

    try:
        return task_for(recorded) == task_for(task)
    except KeyError:
        return False
