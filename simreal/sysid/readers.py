"""Read recordings from CSV, Parquet, HDF5, NPZ and LeRobot episode files.

CSV, Parquet, HDF5 (one dataset per column at the file's root) and NPZ (one
array per column) use the column scheme of :mod:`simreal.sysid.recording`.
LeRobot-style episode parquet (``timestamp``, ``observation.state``,
``action``, ``episode_index``) is read with a mapping from vector entries to
names, e.g. ``{"observation.state": ["qpos:shoulder", "qpos:elbow"],
"action": ["ctrl:shoulder", "ctrl:elbow"]}``, one recording per episode.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from simreal.sysid.recording import LogError, Recording

SUFFIXES = (".csv", ".parquet", ".h5", ".hdf5", ".npz")


def read_log(path: str | Path) -> Recording:
    """Read one recording; the format follows the file suffix.

    Raises:
        LogError: For an unreadable file, a suffix that is not a log format, or
            columns outside the scheme.
    """
    return Recording.from_columns(read_columns(path), str(Path(path)))


def write_log(recording: Recording, path: str | Path) -> Path:
    """Write a recording in the format of ``path``'s suffix (CSV, Parquet, HDF5 or NPZ)."""
    return write_columns(recording.columns(), path)


def write_columns(columns: dict[str, np.ndarray], path: str | Path) -> Path:
    """Write named equal-length columns atomically as CSV, Parquet, HDF5 or NPZ (by suffix)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise LogError(
            f"{path}: unknown table format {suffix!r}; use one of {', '.join(SUFFIXES)}."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{suffix}")
    if suffix == ".csv":
        names = list(columns)
        with tmp.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(names)
            writer.writerows(np.column_stack([columns[n] for n in names]).tolist())
    elif suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table(columns), tmp)
    elif suffix in (".h5", ".hdf5"):
        import h5py

        with h5py.File(tmp, "w") as f:
            for name, values in columns.items():
                f.create_dataset(name, data=values)
    else:
        with tmp.open("wb") as f:
            np.savez(f, **columns)
    tmp.replace(path)
    return path


def read_columns(path: str | Path) -> dict[str, np.ndarray]:
    """Read the named columns of a CSV, Parquet, HDF5 or NPZ table.

    Raises:
        LogError: For a missing or unreadable file or an unknown suffix.
    """
    path = Path(path)
    if not path.is_file():
        raise LogError(f"{path}: no such file.")
    suffix = path.suffix.lower()
    readers = {".csv": _read_csv, ".parquet": _read_parquet, ".h5": _read_hdf5,
               ".hdf5": _read_hdf5, ".npz": _read_npz}  # fmt: skip
    if suffix not in readers:
        raise LogError(
            f"{path}: unknown table format {suffix!r}; use one of {', '.join(SUFFIXES)}."
        )
    try:
        return readers[suffix](path)
    except LogError:
        raise
    except Exception as error:  # noqa: BLE001 - any reader failure is a bad file
        raise LogError(f"{path}: cannot read it as {suffix[1:]}: {error}") from None


def _read_csv(path: Path) -> dict[str, np.ndarray]:
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2:
        raise LogError(f"{path}: needs a header row and at least one data row.")
    header, body = rows[0], rows[1:]
    try:
        data = np.array(body, dtype=np.float64)
    except ValueError:
        raise LogError(f"{path}: a value is not a number; every cell must be numeric.") from None
    if data.ndim != 2 or data.shape[1] != len(header):
        raise LogError(f"{path}: rows have different numbers of cells than the header.")
    return {name.strip(): data[:, i] for i, name in enumerate(header)}


def _read_parquet(path: Path) -> dict[str, np.ndarray]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return {name: table.column(name).to_numpy() for name in table.column_names}


def _read_hdf5(path: Path) -> dict[str, np.ndarray]:
    import h5py

    with h5py.File(path, "r") as f:
        return {name: np.asarray(f[name]) for name in f}


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as f:
        return {name: np.asarray(f[name]) for name in f.files}


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
