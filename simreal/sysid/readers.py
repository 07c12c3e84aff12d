"""Read recordings from CSV, Parquet, HDF5, NPZ and LeRobot episode files.

CSV, Parquet, HDF5 (one dataset per column at the file's root) and NPZ (one
array per column) use the column scheme of :mod:`simreal.sysid.recording`.
LeRobot-style episode parquet (``timestamp``, ``observation.state``,
``action``, ``episode_index``) is read with a mapping from vector entries to
names, e.g. ``{"observation.state": ["qpos:shoulder", "qpos:elbow"],
"action": ["ctrl:shoulder", "ctrl:elbow"]}``, one recording per episode.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from simreal.datasets.tables import MEASUREMENT_KEY, read_columns, write_columns
from simreal.sysid.recording import LogError, Recording


def read_log(path: str | Path) -> Recording:
    """Read one recording; the format follows the file suffix.

    Raises:
        LogError: For an unreadable file, a suffix that is not a log format, or
            columns outside the scheme.
    """
    columns = read_columns(path)
    measurement = columns.pop(MEASUREMENT_KEY, None)
    if measurement is None:
        return Recording.from_columns(columns, str(Path(path)))
    return Recording.from_columns(columns, str(Path(path)), str(measurement))


def write_log(recording: Recording, path: str | Path) -> Path:
    """Write a recording in the format of ``path``'s suffix (CSV, Parquet, HDF5 or NPZ)."""
    return write_columns(recording.columns(), path, recording.measurement)


def read_lerobot(
    path: str | Path, mapping: Mapping[str, Sequence[str]], episodes: Sequence[int] | None = None
) -> list[Recording]:
    """Import LeRobot-style episode parquet as one recording per episode.

    Args:
        path: A parquet file with ``timestamp``, ``episode_index`` and vector
            columns such as ``observation.state`` and ``action``.
        mapping: ``{vector column: [scheme name per entry]}``; entries mapped to
            ``""`` are skipped.
        episodes: Episode indices to keep (default: all).

    Returns:
        The recordings, in episode order.

    Raises:
        LogError: For missing columns or a mapping whose length does not match.
    """
    import pyarrow.parquet as pq

    path = Path(path)
    table = pq.read_table(path)
    for needed in ("timestamp", "episode_index", *mapping):
        if needed not in table.column_names:
            raise LogError(f"{path}: no column {needed!r}; it has {table.column_names}.")
    time = table.column("timestamp").to_numpy().astype(np.float64)
    index = table.column("episode_index").to_numpy()
    vectors = {}
    for column, names in mapping.items():
        values = np.array(table.column(column).to_pylist(), dtype=np.float64)
        if values.ndim == 1:
            values = values[:, None]
        if values.shape[1] != len(names):
            raise LogError(
                f"{path}: {column} has {values.shape[1]} entries "
                f"but the mapping names {len(names)}."
            )
        vectors[column] = (values, names)
    recordings = []
    for episode in np.unique(index) if episodes is None else episodes:
        rows = index == episode
        if not rows.any():
            raise LogError(f"{path}: no episode {episode}.")
        columns = {"time": time[rows]}
        for values, names in vectors.values():
            for j, name in enumerate(names):
                if name:
                    columns[name] = values[rows, j]
        recordings.append(Recording.from_columns(columns, f"{path} (episode {episode})"))
    return recordings
