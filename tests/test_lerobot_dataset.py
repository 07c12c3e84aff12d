"""LeRobot v3 datasets: simreal writes LeRobot's published layout and clones from it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simreal.datasets.lerobot import (
    LeRobotFormatError,
    read_lerobot_dataset,
    write_lerobot_dataset,
)
from simreal.datasets.tables import read_columns
from simreal.learning.collect import collect
from simreal.learning.dataset_task import read_dataset_task
from tests.conftest import run_cli

TASK = "simreal/Reach-v0"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same three expert episodes as a simreal table and as a LeRobot dataset."""
    folder = tmp_path_factory.mktemp("lerobot")
    table = collect(TASK, "expert", episodes=3, out=folder / "demos.parquet", seed=4)
    dataset = collect(TASK, "expert", episodes=3, out=folder / "reach", seed=4, fmt="lerobot")
    return table, dataset


def test_the_folder_has_lerobots_v3_layout(recorded: tuple[Path, Path]) -> None:
    _, dataset = recorded
    files = sorted(str(p.relative_to(dataset)) for p in dataset.rglob("*") if p.is_file())
    assert files == [
        "data/chunk-000/file-000.parquet",
        "meta/episodes/chunk-000/file-000.parquet",
        "meta/info.json",
        "meta/stats.json",
        "meta/tasks.parquet",
    ]
    info = json.loads((dataset / "meta" / "info.json").read_text())
    assert info["codebase_version"] == "v3.0" and info["fps"] == 50
    assert info["total_episodes"] == 3 and info["total_frames"] == 300
    assert info["data_path"] == "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
    assert info["splits"] == {"train": "0:3"} and info["video_path"] is None
    assert info["features"]["action"] == {
        "dtype": "float32", "shape": [3], "names": ["base_yaw", "shoulder", "elbow"]}  # fmt: skip
    assert info["features"]["timestamp"] == {"dtype": "float32", "shape": [1], "names": None}
    schema = pq.read_schema(dataset / "data" / "chunk-000" / "file-000.parquet")
    assert schema.field("observation.state").type == pa.list_(pa.field("item", pa.float32()), 15)
    assert schema.field("timestamp").type == pa.float32()
    for name in ("frame_index", "episode_index", "index", "task_index"):
        assert schema.field(name).type == pa.int64()
    episodes = pq.read_table(dataset / "meta" / "episodes" / "chunk-000" / "file-000.parquet")
    assert episodes.column("length").to_pylist() == [100, 100, 100]
    assert episodes.column("dataset_from_index").to_pylist() == [0, 100, 200]
    assert episodes.column("dataset_to_index").to_pylist() == [100, 200, 300]  # exclusive
    assert episodes.column("tasks").to_pylist() == [[TASK]] * 3
    assert episodes.column("stats/action/count").to_pylist() == [[100]] * 3
    stats = json.loads((dataset / "meta" / "stats.json").read_text())
    assert set(stats["action"]) == {"min", "max", "mean", "std", "count",
                                    "q01", "q10", "q50", "q90", "q99"}  # fmt: skip
    assert len(stats["action"]["mean"]) == 3 and stats["action"]["count"] == [300]
    # tasks.parquet as pandas writes DataFrame({"task_index": [0]}, index=[task]).
    tasks = pq.read_table(dataset / "meta" / "tasks.parquet")
    assert tasks.column("__index_level_0__").to_pylist() == [TASK]
    pandas = json.loads(tasks.schema.metadata[b"pandas"])
    assert pandas["index_columns"] == ["__index_level_0__"]


def test_it_holds_what_the_table_holds(recorded: tuple[Path, Path]) -> None:
    table, dataset = recorded
    columns = read_columns(table)
    data = read_lerobot_dataset(dataset)
    obs = np.stack([columns[f"obs:{i}"] for i in range(15)], axis=1)
    np.testing.assert_array_equal(data.feature("observation.state"), obs.astype(np.float32))
    actions = np.stack([columns[f"action:{j}"] for j in range(3)], axis=1)
    np.testing.assert_array_equal(data.feature("action"), actions.astype(np.float32))
    np.testing.assert_array_equal(data.feature("episode_index"), columns["episode_index"])
    np.testing.assert_array_equal(data.feature("frame_index"), columns["step"])
    np.testing.assert_allclose(data.feature("timestamp"), columns["time"], atol=1e-6)
    np.testing.assert_array_equal(data.feature("next.success"), columns["is_success"] == 1)
    assert data.names("action") == ["base_yaw", "shoulder", "elbow"]
    assert read_dataset_task(dataset) == TASK  # the env id, for simreal bc's check


def test_data_files_roll_over_by_size_and_read_back_in_order(tmp_path: Path) -> None:
    import simreal.datasets.lerobot as lerobot

    episodes = np.repeat(np.arange(5), 4)
    state = np.arange(40.0).reshape(20, 2)
    size_mb = lerobot.DATA_FILE_MB
    lerobot.DATA_FILE_MB = 1e-4  # about 100 bytes: one episode a file
    try:
        write_lerobot_dataset(tmp_path / "d", {"observation.state": state}, {}, episodes, 10)
    finally:
        lerobot.DATA_FILE_MB = size_mb
    files = sorted((tmp_path / "d" / "data").glob("*/*.parquet"))
    assert len(files) == 5
    meta = pq.read_table(tmp_path / "d" / "meta" / "episodes" / "chunk-000" / "file-000.parquet")
    assert meta.column("data/file_index").to_pylist() == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(read_lerobot_dataset(tmp_path / "d").feature("index"),
                                  np.arange(20))  # fmt: skip


def test_a_v2_dataset_or_a_missing_feature_is_named(
    tmp_path: Path, recorded: tuple[Path, Path]
) -> None:
    (tmp_path / "old" / "meta").mkdir(parents=True)
    (tmp_path / "old" / "meta" / "info.json").write_text(
        json.dumps({"codebase_version": "v2.1", "features": {}, "fps": 30})
    )
    with pytest.raises(LeRobotFormatError, match="v2.1; simreal reads v3 datasets"):
        read_lerobot_dataset(tmp_path / "old")
    with pytest.raises(LeRobotFormatError, match="no feature 'observation.images.top'"):
        read_lerobot_dataset(recorded[1]).feature("observation.images.top")


def test_cli_collects_a_lerobot_dataset_and_bc_clones_it(tmp_path: Path) -> None:
    done = run_cli("collect", "--task", TASK, "--episodes", "2", "--format", "lerobot",
                   "--out", str(tmp_path / "demos"), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    done = run_cli("bc", "--task", TASK, "--data", str(tmp_path / "demos"), "--epochs", "2",
                   "--out", str(tmp_path / "bc"), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "does not record the task" not in done.stderr
    # Another task's dataset and an existing --out: one sentence each, nothing written.
    other = "simreal/PendulumSwingup-v0"
    done = run_cli("bc", "--task", other, "--data", str(tmp_path / "demos"), "--out",
                   str(tmp_path / "bc2"), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "was recorded on simreal/Reach-v0" in done.stderr
    done = run_cli("collect", "--task", TASK, "--format", "lerobot", "--out",
                   str(tmp_path / "demos"), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "exists; a LeRobot dataset goes into a new folder" in (
        done.stderr
    )
    assert not (tmp_path / "bc2").exists()


WRITTEN_BY_LEROBOT = Path(__file__).parent / "data" / "lerobot_v3_written_by_lerobot"


def test_a_dataset_written_by_lerobot_reads_as_written() -> None:
    data = read_lerobot_dataset(WRITTEN_BY_LEROBOT)  # tests/data/make_lerobot_fixture.py
    assert data.fps == 50 and data.names("observation.state") == [
        "base_yaw.pos", "shoulder.pos", "elbow.pos"]  # fmt: skip
    episode, frame = data.feature("episode_index"), data.feature("frame_index")
    np.testing.assert_array_equal(episode, [0] * 7 + [1] * 5)
    expected = np.arange(3)[None] + 10 * episode[:, None] + 0.1 * frame[:, None]
    np.testing.assert_allclose(data.feature("observation.state"), expected, rtol=1e-6)
    np.testing.assert_allclose(data.feature("action"), -expected, rtol=1e-6)
    np.testing.assert_allclose(data.feature("timestamp"), frame / 50, atol=1e-6)
    # Not simreal's: its task is words, so it records no env id for simreal bc to check.
    assert read_dataset_task(WRITTEN_BY_LEROBOT) is None


def test_a_dataset_written_by_lerobot_becomes_sysid_logs_of_a_model_by_name() -> None:
    import simreal
    from simreal.sysid.lerobot_logs import read_lerobot_logs

    model = simreal.make(TASK).unwrapped.model  # joints and servos base_yaw, shoulder, elbow
    first, second = read_lerobot_logs(WRITTEN_BY_LEROBOT, model)
    assert len(first.time) == 7 and len(second.time) == 5
    np.testing.assert_allclose(second.qpos["elbow"], 12 + 0.1 * np.arange(5), rtol=1e-6)
    np.testing.assert_allclose(second.ctrl["shoulder"], -(11 + 0.1 * np.arange(5)), rtol=1e-6)
    np.testing.assert_allclose(first.time, np.arange(7) / 50, atol=1e-6)


def test_under_dr_the_drawn_parameters_are_features_too(tmp_path: Path) -> None:
    dataset = collect(TASK, "expert", episodes=2, out=tmp_path / "d", dr="default", fmt="lerobot")
    data = read_lerobot_dataset(dataset)
    masses = data.feature("dr:body[upper_arm].mass")
    assert masses.shape == (200,) and len(np.unique(masses)) == 2  # one draw per episode
