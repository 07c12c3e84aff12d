"""LeRobot v3 datasets: read them, and write demonstrations as one.

A LeRobot dataset (codebase version ``v3.0``, huggingface/lerobot) is a folder::

    meta/info.json                              fps, features (dtype, shape, names), paths
    meta/stats.json                             per feature: min, max, mean, std, count, q01..q99
    meta/tasks.parquet                          the task strings (pandas index) and task_index
    meta/episodes/chunk-000/file-000.parquet    one row per episode: length, where its frames
                                                lie, its own stats
    data/chunk-000/file-000.parquet             one row per frame: the features

Vector features are ``fixed_size_list<float32>`` columns; ``timestamp`` is float32;
``frame_index``, ``episode_index``, ``index`` and ``task_index`` are int64. simreal
writes this layout with pyarrow alone (LeRobot itself needs pandas, ``datasets`` and
a torch it pins), and reads any v3 dataset of low-dimensional features: image and
video features are left out. Data files roll over, as LeRobot's do, once a file
would pass ``data_files_size_in_mb``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

CODEBASE_VERSION = "v3.0"
CHUNK_FILE = "chunk-{chunk_index:03d}/file-{file_index:03d}"
DATA_PATH = "data/" + CHUNK_FILE + ".parquet"
EPISODES_PATH = "meta/episodes/" + CHUNK_FILE + ".parquet"
CHUNKS_SIZE = 1000  # files per chunk
DATA_FILE_MB = 100
QUANTILES = (0.01, 0.10, 0.50, 0.90, 0.99)
INDEX_FEATURES = ("frame_index", "episode_index", "index", "task_index")


class LeRobotFormatError(ValueError):
    """A folder that is not a LeRobot v3 dataset of the features asked for."""


@dataclass(frozen=True)
class LeRobotData:
    """A LeRobot dataset in memory.

    Attributes:
        folder: Where it was read from.
        info: Its ``meta/info.json``.
        columns: Every low-dimensional feature: ``(N,)`` for scalars, ``(N, D)`` for vectors.
    """

    folder: Path
    info: dict[str, Any]
    columns: dict[str, np.ndarray]

    @property
    def fps(self) -> float:
        """Frames per second."""
        return float(self.info["fps"])

    def names(self, feature: str) -> list[str]:
        """The entry names of a vector feature, from ``info.json`` (``[]`` when unnamed).

        LeRobot writes a list; older datasets a dict such as ``{"motors": [...]}``.
        """
        names = self.info["features"][feature].get("names")
        if isinstance(names, dict):
            return [str(n) for group in names.values() for n in group]
        return [str(n) for n in names or []]

    def feature(self, name: str) -> np.ndarray:
        """One feature's column.

        Raises:
            LeRobotFormatError: If the dataset has no such low-dimensional feature.
        """
        if name not in self.columns:
            raise LeRobotFormatError(
                f"{self.folder}: no feature {name!r}; it has {', '.join(sorted(self.columns))}."
            )
        return self.columns[name]


def is_lerobot_dataset(path: str | Path) -> bool:
    """Whether ``path`` is a folder with ``meta/info.json``."""
    return (Path(path) / "meta" / "info.json").is_file()


def read_lerobot_dataset(folder: str | Path) -> LeRobotData:
    """Read a LeRobot v3 dataset's low-dimensional features.

    Raises:
        LeRobotFormatError: If ``folder`` is not a v3 dataset or its files do not match
            its ``info.json``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    if not is_lerobot_dataset(folder):
        raise LeRobotFormatError(f"{folder}: not a LeRobot dataset (no meta/info.json).")
    try:
        info = json.loads((folder / "meta" / "info.json").read_text())
        version = str(info["codebase_version"])
        features = info["features"]
    except (ValueError, KeyError, TypeError) as error:
        raise LeRobotFormatError(f"{folder}/meta/info.json: unreadable ({error}).") from None
    if not version.startswith("v3."):
        raise LeRobotFormatError(
            f"{folder}: LeRobot codebase version {version}; simreal reads v3 datasets (convert "
            "it with lerobot's convert_dataset_v21_to_v30)."
        )
    files = sorted((folder / "data").glob("*/*.parquet"))
    if not files:
        raise LeRobotFormatError(f"{folder}: no data/chunk-*/file-*.parquet files.")
    wanted = [k for k, v in features.items() if v.get("dtype") not in ("image", "video", "string")]
    try:
        table = pa.concat_tables([pq.read_table(f, columns=wanted) for f in files])
    except (pa.ArrowInvalid, KeyError) as error:
        message = f"{folder}: data files do not match info.json ({error})."
        raise LeRobotFormatError(message) from None
    columns = {}
    for name in wanted:
        column = table.column(name).combine_chunks()
        if pa.types.is_fixed_size_list(column.type) or pa.types.is_list(column.type):
            values = np.array(column.to_pylist(), dtype=np.float64)
        else:
            values = column.to_numpy(zero_copy_only=False)
        columns[name] = values
    order = np.argsort(columns["index"], kind="stable") if "index" in columns else None
    if order is not None:
        columns = {k: v[order] for k, v in columns.items()}
    return LeRobotData(folder, info, columns)


def write_lerobot_dataset(
    folder: str | Path,
    features: dict[str, np.ndarray],
    names: dict[str, list[str]],
    episode_index: np.ndarray,
    fps: float,
    task: str = "",
    robot_type: str | None = None,
) -> Path:
    """Write frames as a LeRobot v3 dataset, atomically (a staging folder renamed at the end).

    Args:
        folder: The dataset folder (must not exist).
        features: ``{name: (N,) or (N, D) array}``, e.g. ``observation.state``, ``action``,
            ``next.reward``; floats are stored as float32, booleans as bool.
        names: Entry names of the vector features (``info.json``'s ``names``).
        episode_index: ``(N,)`` episode of every frame, frames of an episode contiguous.
        fps: Frames per second; ``timestamp`` is ``frame_index / fps``.
        task: The one task string of every episode.
        robot_type: ``info.json``'s ``robot_type``.

    Returns:
        ``folder``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    episode_index = np.asarray(episode_index, np.int64)
    n = len(episode_index)
    starts = np.flatnonzero(np.r_[True, episode_index[1:] != episode_index[:-1]])
    lengths = np.diff(np.r_[starts, n])
    frame_index = np.arange(n) - np.repeat(starts, lengths)
    frames: dict[str, np.ndarray] = {}
    schema_features: dict[str, dict[str, Any]] = {}
    for name, values in features.items():
        values = np.asarray(values)
        dtype = "bool" if values.dtype == bool else "float32"
        frames[name] = values.astype(dtype)
        shape = list(values.shape[1:]) or [1]
        schema_features[name] = {"dtype": dtype, "shape": shape, "names": names.get(name)}
    frames["timestamp"] = (frame_index / fps).astype(np.float32)
    schema_features["timestamp"] = {"dtype": "float32", "shape": [1], "names": None}
    for name, values in zip(INDEX_FEATURES, (frame_index, episode_index, np.arange(n),
                                             np.zeros(n)), strict=True):  # fmt: skip
        frames[name] = np.asarray(values, np.int64)
        schema_features[name] = {"dtype": "int64", "shape": [1], "names": None}
    staging = folder.with_name(f".{folder.name}.partial")
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "meta").mkdir(parents=True)
    table = pa.table({name: _arrow_column(values) for name, values in frames.items()})
    table = table.replace_schema_metadata({"huggingface": json.dumps(_hf_features(frames))})
    rows_per_file = max(1, int(DATA_FILE_MB * 2**20 / max(1, table.nbytes / max(n, 1))))
    episodes: dict[str, list] = {k: [] for k in (
        "episode_index", "tasks", "length", "data/chunk_index", "data/file_index",
        "dataset_from_index", "dataset_to_index")}  # fmt: skip
    stats_rows: dict[str, list] = {}
    file_number, file_start = 0, 0
    for episode, start, length in zip(episode_index[starts], starts, lengths, strict=True):
        if start + length - file_start > rows_per_file and start > file_start:
            _write_data(staging, table.slice(file_start, start - file_start), file_number, pq)
            file_number, file_start = file_number + 1, start
        episodes["episode_index"].append(int(episode))
        episodes["tasks"].append([task])
        episodes["length"].append(int(length))
        episodes["data/chunk_index"].append(file_number // CHUNKS_SIZE)
        episodes["data/file_index"].append(file_number % CHUNKS_SIZE)
        episodes["dataset_from_index"].append(int(start))
        episodes["dataset_to_index"].append(int(start + length))
        for name, values in frames.items():
            for stat, value in _stats(values[start : start + length]).items():
                stats_rows.setdefault(f"stats/{name}/{stat}", []).append(value)
    _write_data(staging, table.slice(file_start), file_number, pq)
    episodes.update(stats_rows)
    episodes["meta/episodes/chunk_index"] = [0] * len(starts)
    episodes["meta/episodes/file_index"] = [0] * len(starts)
    meta_path = staging / EPISODES_PATH.format(chunk_index=0, file_index=0)
    meta_path.parent.mkdir(parents=True)
    pq.write_table(pa.table(episodes), meta_path, compression="snappy")
    _write_tasks(staging / "meta" / "tasks.parquet", task, pa, pq)
    stats = {name: _stats(values) for name, values in frames.items()}
    (staging / "meta" / "stats.json").write_text(json.dumps(stats, indent=4))
    info = {
        "codebase_version": CODEBASE_VERSION,
        "robot_type": robot_type,
        "total_episodes": len(starts),
        "total_frames": n,
        "total_tasks": 1,
        "chunks_size": CHUNKS_SIZE,
        "data_files_size_in_mb": DATA_FILE_MB,
        "video_files_size_in_mb": 200,
        "fps": int(fps) if float(fps).is_integer() else fps,
        "splits": {"train": f"0:{len(starts)}"},
        "data_path": DATA_PATH,
        "video_path": None,
        "features": schema_features,
    }
    (staging / "meta" / "info.json").write_text(json.dumps(info, indent=4))
    staging.rename(folder)
    return folder


def _arrow_column(values: np.ndarray) -> Any:  # noqa: ANN401
    """A 1-D array as is, a 2-D one as a fixed-size list per row (LeRobot's vectors)."""
    import pyarrow as pa

    if values.ndim == 1:
        return pa.array(values)
    item = pa.field("item", pa.from_numpy_dtype(values.dtype))  # the child's name datasets gives
    return pa.FixedSizeListArray.from_arrays(
        pa.array(values.reshape(-1)), type=pa.list_(item, values.shape[1])
    )


def _hf_features(frames: dict[str, np.ndarray]) -> dict[str, Any]:
    """The ``datasets`` library's feature description, as LeRobot's data files carry it."""
    features = {}
    for name, values in frames.items():
        value = {"dtype": str(values.dtype), "_type": "Value"}
        if values.ndim == 1:
            features[name] = value
        else:
            features[name] = {"feature": value, "length": values.shape[1], "_type": "List"}
    return {"info": {"features": features}}


def _write_data(staging: Path, table: Any, number: int, pq: Any) -> None:  # noqa: ANN401
    path = staging / DATA_PATH.format(chunk_index=number // CHUNKS_SIZE,
                                      file_index=number % CHUNKS_SIZE)  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="snappy", use_dictionary=True)


def _write_tasks(path: Path, task: str, pa: Any, pq: Any) -> None:  # noqa: ANN401
    """``meta/tasks.parquet`` as pandas writes ``DataFrame({"task_index": [0]}, index=[task])``.

    The pandas metadata makes ``pandas.read_parquet`` give the task strings back as the
    index, which is how LeRobot looks tasks up.
    """
    pandas_meta = {
        "index_columns": ["__index_level_0__"],
        "column_indexes": [{"name": None, "field_name": None, "pandas_type": "unicode",
                            "numpy_type": "object", "metadata": {"encoding": "UTF-8"}}],
        "columns": [
            {"name": "task_index", "field_name": "task_index", "pandas_type": "int64",
             "numpy_type": "int64", "metadata": None},
            {"name": None, "field_name": "__index_level_0__", "pandas_type": "unicode",
             "numpy_type": "object", "metadata": None},
        ],
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": "2.2.3",
    }  # fmt: skip
    table = pa.table({"task_index": pa.array([0], pa.int64()),
                      "__index_level_0__": pa.array([task], pa.string())})  # fmt: skip
    table = table.replace_schema_metadata({"pandas": json.dumps(pandas_meta)})
    pq.write_table(table, path)


def _stats(values: np.ndarray) -> dict[str, list]:
    """LeRobot's per-feature statistics: lists per entry (length 1 for scalars)."""
    data = np.asarray(values, np.float64)
    data = data[:, None] if data.ndim == 1 else data
    stats = {
        "min": data.min(axis=0).tolist(),
        "max": data.max(axis=0).tolist(),
        "mean": data.mean(axis=0).tolist(),
        "std": data.std(axis=0).tolist(),
        "count": [len(data)],
    }
    for q in QUANTILES:
        stats[f"q{int(round(q * 100)):02d}"] = np.quantile(data, q, axis=0).tolist()
    return stats
