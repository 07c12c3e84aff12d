"""Outputs that cannot be written are refused before any work, in one sentence, with exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli

REACH = "simreal/Reach-v0"


def commands(blocker: Path) -> dict[str, list[str]]:
    """Every command with one output under ``blocker``, a regular file."""
    under = blocker / "sub"
    train = ["train", "--task", REACH, "--steps", "64", "--out"]
    return {
        "train --out under a file": [*train, str(under)],
        "train --out is a file": [*train, str(blocker)],
        "eval --json": ["eval", "--policy", "expert", "--on", REACH, "--json", str(under / "e")],
        "collect --out": ["collect", "--task", REACH, "--out", str(under / "d.npz")],
        "sweep --out": ["sweep", "--task", REACH, "--widths", "0", "--seeds", "1", "--steps", "64",
                        "--out", str(under)],
        "bc --out": ["bc", "--task", REACH, "--data", str(blocker), "--out", str(under)],
        "record --out": ["record", "--task", REACH, "--out", str(under / "l.csv")],
        "gap --out": ["gap", "--tasks", REACH, "--episodes", "1", "--out", str(under)],
        "demo --out": ["demo", "--out", str(under)],
    }  # fmt: skip


CASES = sorted(commands(Path("x")))


@pytest.mark.parametrize("case", CASES)
def test_unwritable_output_is_refused_before_any_work(case: str, tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("keep me\n")
    args = commands(blocker)[case]
    result = run_cli(*args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    message = result.stderr.strip().splitlines()[-1]
    flag = "--json" if "--json" in args else "--out"
    assert f"{flag}: " in message
    assert "is a file, not a folder" in message or "exists and is not a folder" in message
    assert result.stdout == ""  # no episode ran, no table was printed
    assert blocker.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]
