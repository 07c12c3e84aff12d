"""``simreal record`` / ``simreal sysid`` on bad models and logs: exit 2, one sentence, no file."""

from __future__ import annotations

from pathlib import Path

import pytest

from simreal.sysid.readers import write_log
from tests.conftest import run_cli
from tests.test_sysid import _recording

BROKEN = "<mujoco><worldbody><body></mujoco>"
NO_ACTUATORS = (
    "<mujoco><worldbody><body name='pole'><joint name='hinge' type='hinge'/>"
    "<geom size='0.1'/></body></worldbody></mujoco>"
)
PARAMS = "params:\n  - {param: 'joint[hinge].damping', low: 0.0, high: 1.0}\n"


def _sysid(tmp_path: Path, *args: str):  # noqa: ANN202
    (tmp_path / "params.yaml").write_text(PARAMS)
    return run_cli("sysid", *args, "--params", "params.yaml", "--out", "fit.yaml", cwd=tmp_path)


def _assert_refused(done, fragment: str, written: Path) -> None:  # noqa: ANN001
    assert done.returncode == 2, done.stderr
    assert fragment in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()[-1].split(". ")) <= 2  # one sentence
    assert not written.exists()


@pytest.mark.parametrize("command", ["record", "sysid"])
def test_malformed_mjcf_shows_the_parsers_whole_message(tmp_path: Path, command: str) -> None:
    (tmp_path / "broken.xml").write_text(BROKEN)
    write_log(_recording(seconds=1.0), tmp_path / "log.csv")
    if command == "record":
        done = run_cli("record", "--model", "broken.xml", "--out", "out.csv", cwd=tmp_path)
        written = tmp_path / "out.csv"
    else:
        done = _sysid(tmp_path, "--model", "broken.xml", "--log", "log.csv")
        written = tmp_path / "fit.yaml"
    _assert_refused(
        done,
        "--model: broken.xml does not compile: XML parse error 14: "
        "Error=XML_ERROR_MISMATCHED_ELEMENT ErrorID=14 (0xe) Line number=1: XMLElement name=body.",
        written,
    )


def test_a_model_without_actuators_is_refused_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "bare.xml").write_text(NO_ACTUATORS)
    write_log(_recording(seconds=1.0), tmp_path / "log.csv")
    done = run_cli("record", "--model", "bare.xml", "--out", "out.csv", cwd=tmp_path)
    _assert_refused(done, "--model: bare.xml has no actuators to excite;", tmp_path / "out.csv")
    done = _sysid(tmp_path, "--model", "bare.xml", "--log", "log.csv")
    _assert_refused(
        done, "--model: bare.xml has no actuators to replay the logged controls on;",
        tmp_path / "fit.yaml",
    )  # fmt: skip


def test_a_text_cell_is_named_by_column_and_line(tmp_path: Path) -> None:
    log = write_log(_recording(seconds=1.0), tmp_path / "log.csv")
    lines = log.read_text().splitlines()
    assert lines[0].startswith("# measurement: ") and lines[1].startswith("time,")
    header = lines[1].split(",")
    column = header.index("qpos:hinge")
    cells = lines[4].split(",")
    cells[column] = "n/a"
    lines[4] = ",".join(cells)  # the file's fifth line: comment, header, three data rows
    log.write_text("\n".join(lines) + "\n")
    done = _sysid(tmp_path, "--task", "simreal/PendulumSwingup-v0", "--log", "log.csv")
    _assert_refused(
        done, "log.csv: line 5, column 'qpos:hinge': 'n/a' is not a number;", tmp_path / "fit.yaml"
    )
