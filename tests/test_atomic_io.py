"""Atomic writes: the user's umask, data on disk before the rename, nothing half-written."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from simreal.atomic_io import write_atomic, write_json_atomic

ROOT = Path(__file__).resolve().parents[1]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("umask", "expected"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_files_get_the_users_umask(tmp_path: Path, umask: int, expected: int) -> None:
    target = tmp_path / "result.json"
    code = f"from simreal.atomic_io import write_json_atomic; write_json_atomic({str(target)!r}, 1)"
    subprocess.run([sys.executable, "-c", code], check=True, umask=umask, cwd=ROOT)
    assert json.loads(target.read_text()) == 1
    assert mode(target) == expected


def test_cli_results_get_the_users_umask(tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    subprocess.run(
        [sys.executable, "-m", "simreal.cli", "eval", "--policy", "expert", "--on",
         "simreal/Reach-v0", "--episodes", "1", "--json", str(out)],
        check=True, capture_output=True, umask=0o022, cwd=ROOT,
    )  # fmt: skip
    assert json.loads(out.read_text())[0]["episodes"] == 1
    assert mode(out) == 0o644


def test_data_reaches_the_disk_before_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        events.append(("replace", str(src)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    target = tmp_path / "out.json"
    write_json_atomic(target, {"a": 1})
    kinds = [kind for kind, _ in events]
    assert kinds == ["fsync", "replace", "fsync"], events
    (_, synced), (_, renamed), (_, folder) = events
    assert synced == renamed != str(target)  # the temporary file, synced, then renamed
    assert folder == str(tmp_path)  # then the folder holding the new name


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "table.csv"
    target.write_text("old\n")

    def half(tmp: Path) -> None:
        tmp.write_text("ne")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomic(target, half)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]
