"""The ``simreal`` command: fast help, the reality-gap report, and clear errors on bad flags."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simreal.cli import main
from tests.conftest import run_cli


def test_help_lists_commands_without_importing_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from simreal.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'stable_baselines3', 'mujoco') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "demo" in result.stdout and "tasks" in result.stdout
    assert "HEAVY []" in result.stdout


def test_gap_report_writes_table_plot_and_frames(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "demo"
    assert main(["gap", "--episodes", "2", "--tasks", "simreal/Reach-v0", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| simreal/Reach-v0 |" in printed
    results = json.loads((out / "results.json").read_text())
    row = results["tasks"][0]
    assert row["nominal"]["env_id"] == "simreal/Reach-v0"
    assert row["real"]["env_id"] == "simreal/ReachReal-v0"
    assert row["nominal"]["episodes"] == 2
    for png in (out / "reality_gap.png", out / "frames" / "Reach.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(out.rglob(".*")), "temporary files left behind"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["gap", "--episodes", "0"], "--episodes"),
        (["gap", "--episodes", "many"], "--episodes"),
        (["gap", "--seed", "-3"], "--seed"),
        (["gap", "--tasks", "simreal/Rech-v0"], "simreal/Reach-v0"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_bad_flags_exit_2_with_one_clear_message(
    args: list[str], fragment: str, tmp_path: Path
) -> None:
    result = run_cli(*args, *(["--out", str(tmp_path / "o")] if args[0] == "gap" else []))
    assert result.returncode == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists(), "nothing may be written on bad input"


def test_gap_report_refuses_a_file_as_output_folder(tmp_path: Path) -> None:
    target = tmp_path / "a_file"
    target.write_text("x")
    result = run_cli("gap", "--tasks", "simreal/Reach-v0", "--out", str(target))
    assert result.returncode == 2 and "--out" in result.stderr


def test_tasks_lists_every_id() -> None:
    result = run_cli("tasks")
    assert result.returncode == 0
    assert "simreal/PushPixels-v0" in result.stdout and "simreal/PushPixelsReal-v0" in result.stdout
    assert "(84, 84, 3)" in result.stdout
