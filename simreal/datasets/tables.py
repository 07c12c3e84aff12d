"""Column tables on disk: CSV, Parquet, HDF5 and NPZ files of named columns.

Logs (:mod:`simreal.sysid.readers`) and demonstration datasets (``simreal collect``,
``simreal bc``) share these files: one column per name, written atomically, and the suffix
picks the format. What a log's joint columns measure is kept under
:data:`MEASUREMENT_KEY` (a CSV comment line, Parquet schema metadata, an HDF5 root
attribute, an NPZ entry).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

import numpy as np


class TableError(ValueError):
    """A table file is unusable; the message names the file, the column and the fix."""


SUFFIXES = (".csv", ".parquet", ".h5", ".hdf5", ".npz")
# Where a file keeps what its joint columns hold: a CSV comment line, Parquet schema
# metadata, an HDF5 root attribute, an NPZ entry.
MEASUREMENT_KEY = "simreal.measurement"
_CSV_COMMENT = "# measurement: "


def write_columns(
    columns: dict[str, np.ndarray],
    path: str | Path,
    measurement: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Write named equal-length columns atomically as CSV, Parquet, HDF5 or NPZ (by suffix).

    ``measurement``, if given, is kept as the file's metadata (see ``MEASUREMENT_KEY``);
    so is each ``metadata`` entry (a ``# key: value`` comment line in a CSV).
    """
    extra_meta = dict(metadata or {})
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise TableError(
            f"{path}: unknown table format {suffix!r}; use one of {', '.join(SUFFIXES)}."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{suffix}")
    if suffix == ".csv":
        names = list(columns)
        with tmp.open("w", newline="") as f:
            if measurement is not None:
                f.write(_CSV_COMMENT + " ".join(measurement.split()) + "\n")
            for key, value in extra_meta.items():
                f.write(f"# {key}: {value}\n")
            writer = csv.writer(f)
            writer.writerow(names)
            writer.writerows(np.column_stack([columns[n] for n in names]).tolist())
    elif suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        metadata = dict(extra_meta)
        if measurement is not None:
            metadata[MEASUREMENT_KEY] = measurement
        pq.write_table(pa.table(columns, metadata=metadata or None), tmp)
    elif suffix in (".h5", ".hdf5"):
        import h5py

        with h5py.File(tmp, "w") as f:
            for name, values in columns.items():
                f.create_dataset(name, data=values)
            if measurement is not None:
                f.attrs[MEASUREMENT_KEY] = measurement
            for key, value in extra_meta.items():
                f.attrs[key] = value
    else:
        extra = {} if measurement is None else {MEASUREMENT_KEY: np.array(measurement)}
        extra.update({key: np.array(value) for key, value in extra_meta.items()})
        with tmp.open("wb") as f:
            np.savez(f, **columns, **extra)
    from simreal.atomic_io import fsync_dir, fsync_file

    fsync_file(tmp)
    tmp.replace(path)
    fsync_dir(path.parent)
    return path


def read_columns(path: str | Path) -> dict[str, np.ndarray]:
    """Read the named columns of a CSV, Parquet, HDF5 or NPZ table.

    The file's measurement metadata, if any, comes back under ``MEASUREMENT_KEY``
    (a string).

    Raises:
        TableError: For a missing or unreadable file or an unknown suffix.
    """
    path = Path(path)
    if not path.is_file():
        raise TableError(f"{path}: no such file.")
    suffix = path.suffix.lower()
    readers = {".csv": _read_csv, ".parquet": _read_parquet, ".h5": _read_hdf5,
               ".hdf5": _read_hdf5, ".npz": _read_npz}  # fmt: skip
    if suffix not in readers:
        raise TableError(
            f"{path}: unknown table format {suffix!r}; use one of {', '.join(SUFFIXES)}."
        )
    try:
        return readers[suffix](path)
    except TableError:
        raise
    except Exception as error:  # noqa: BLE001 - any reader failure is a bad file
        raise TableError(f"{path}: cannot read it as {suffix[1:]}: {error}") from None


def _read_csv(path: Path) -> dict:
    with path.open(newline="") as f:
        lines = f.read().splitlines()
    measurement, first = None, 0
    while first < len(lines) and lines[first].startswith("#"):
        if lines[first].startswith(_CSV_COMMENT):
            measurement = lines[first][len(_CSV_COMMENT) :].strip()
        first += 1
    rows = list(csv.reader(lines[first:]))
    if len(rows) < 2:
        raise TableError(f"{path}: needs a header row and at least one data row.")
    header = [name.strip() for name in rows[0]]
    data = np.empty((len(rows) - 1, len(header)))
    for r, row in enumerate(rows[1:]):
        line = first + 2 + r  # the file's line number, comment and header lines counted
        if len(row) != len(header):
            raise TableError(
                f"{path}: line {line} has {len(row)} cells, the header {len(header)}; "
                "give every row one cell per column."
            )
        for c, cell in enumerate(row):
            try:
                data[r, c] = float(cell)
            except ValueError:
                raise TableError(
                    f"{path}: line {line}, column {header[c]!r}: {cell!r} is not a number; "
                    "every cell must be numeric."
                ) from None
    columns: dict = {name: data[:, i] for i, name in enumerate(header)}
    if measurement is not None:
        columns[MEASUREMENT_KEY] = measurement
    return columns


def _read_parquet(path: Path) -> dict:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    columns: dict = {name: table.column(name).to_numpy() for name in table.column_names}
    metadata = table.schema.metadata or {}
    if MEASUREMENT_KEY.encode() in metadata:
        columns[MEASUREMENT_KEY] = metadata[MEASUREMENT_KEY.encode()].decode()
    return columns


def _read_hdf5(path: Path) -> dict:
    import h5py

    with h5py.File(path, "r") as f:
        columns: dict = {name: np.asarray(f[name]) for name in f}
        if MEASUREMENT_KEY in f.attrs:
            columns[MEASUREMENT_KEY] = str(f.attrs[MEASUREMENT_KEY])
    return columns


def _read_npz(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as f:
        columns: dict = {name: np.asarray(f[name]) for name in f.files}
    if MEASUREMENT_KEY in columns:
        columns[MEASUREMENT_KEY] = str(columns[MEASUREMENT_KEY])
    return columns
