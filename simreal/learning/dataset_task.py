"""The task a demonstration dataset was recorded on, kept in the file itself.

``simreal collect`` writes the env id as the table's metadata under
:data:`TASK_KEY`: Parquet schema metadata, an HDF5 root attribute, an NPZ entry,
or a ``# simreal.task: <id>`` comment line at the top of a CSV. ``simreal bc``
reads it back so that demonstrations of one task are never cloned for another
whose spaces happen to have the same shapes. A LeRobot dataset that simreal wrote
(``robot_type`` :data:`LEROBOT_ROBOT`) holds the env id as its task string; other
LeRobot datasets name their task in words and record no env id.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

TASK_KEY = "simreal.task"
LEROBOT_ROBOT = "simreal"
_CSV_PREFIX = f"# {TASK_KEY}: "


def read_dataset_task(path: str | Path) -> str | None:
    """Return the env id a dataset records, or ``None`` for a file without one.

    Args:
        path: A CSV, Parquet, HDF5 or NPZ table (the suffix says which), or a LeRobot
            dataset folder.

    Returns:
        The recorded env id, or ``None`` (older datasets, other tools' tables).
    """
    path = Path(path)
    if (path / "meta" / "info.json").is_file():
        return _lerobot_task(path)
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


def _lerobot_task(folder: Path) -> str | None:
    """The env id of a LeRobot dataset simreal wrote (its one task string), else ``None``."""
    import json

    import pyarrow.parquet as pq

    info = json.loads((folder / "meta" / "info.json").read_text())
    if info.get("robot_type") != LEROBOT_ROBOT:
        return None
    tasks = pq.read_table(folder / "meta" / "tasks.parquet").column("__index_level_0__")
    return str(tasks[0])


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
