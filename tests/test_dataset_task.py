"""Datasets record the task they were collected on, and ``simreal bc`` checks it."""

from __future__ import annotations

from pathlib import Path

import pytest

from simreal.cli import main
from simreal.datasets.tables import read_columns, write_columns
from simreal.learning.collect import collect
from simreal.learning.dataset_task import read_dataset_task, same_task
from tests.conftest import run_cli

BALANCE = "simreal/CartpoleBalance-v0"
SWINGUP = "simreal/CartpoleSwingup-v0"  # the same observation and action shapes


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("demos")
    return {
        suffix: collect(BALANCE, "expert", episodes=1, out=folder / f"demos{suffix}")
        for suffix in (".parquet", ".h5", ".npz", ".csv")
    }


@pytest.mark.parametrize("suffix", [".parquet", ".h5", ".npz", ".csv"])
def test_every_format_records_its_task_and_stays_readable(
    datasets: dict[str, Path], suffix: str
) -> None:
    path = datasets[suffix]
    assert read_dataset_task(path) == BALANCE
    columns = read_columns(path)
    assert columns["episode_index"].size == 500 and "obs:4" in columns


@pytest.mark.parametrize("suffix", [".parquet", ".h5", ".npz", ".csv"])
def test_bc_refuses_a_dataset_of_another_task_with_the_same_shapes(
    datasets: dict[str, Path], suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "bc"
    with pytest.raises(SystemExit) as excinfo:
        main(["bc", "--task", SWINGUP, "--data", str(datasets[suffix]), "--out", str(out)])
    assert excinfo.value.code == 2
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"--data: {datasets[suffix]} was recorded on {BALANCE}, not {SWINGUP}" in message
    assert not out.exists()


def test_bc_clones_a_dataset_of_its_own_task(datasets: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "bc"
    result = run_cli(
        "bc", "--task", BALANCE, "--data", str(datasets[".npz"]), "--epochs", "1",
        "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    assert (out / "config.json").is_file()


def test_a_dataset_without_its_task_is_cloned_with_a_warning(
    datasets: dict[str, Path], tmp_path: Path
) -> None:
    legacy = tmp_path / "legacy.parquet"
    write_columns(read_columns(datasets[".parquet"]), legacy)
    assert read_dataset_task(legacy) is None
    out = tmp_path / "bc"
    result = run_cli(
        "bc", "--task", BALANCE, "--data", str(legacy), "--epochs", "1", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert f"warning: {legacy} does not record the task" in result.stderr
    assert (out / "config.json").is_file()


def test_a_task_and_its_real_proxy_share_demonstrations() -> None:
    assert same_task(BALANCE, "simreal/CartpoleBalanceReal-v0")
    assert not same_task(BALANCE, SWINGUP)
    assert not same_task("InvertedPendulum-v5", "InvertedPendulum-v4")
