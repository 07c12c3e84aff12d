"""simreal sysid fits a LeRobot v3 dataset: entries matched to the model by their names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simreal
from simreal.datasets.lerobot import write_lerobot_dataset
from simreal.sysid.readers import read_log
from tests.conftest import run_cli
from tests.test_sysid import PROXY_PARAMS as PARAMS  # what the CLI fits from the proxy's log


def as_lerobot(log: Path, folder: Path, state_name: str, action_name: str) -> Path:
    """The recording as a one-episode LeRobot dataset, names as a LeRobot arm writes them."""
    recording = read_log(log)
    columns = recording.columns()
    (qpos,) = [v for k, v in columns.items() if k.startswith("qpos:")]
    (ctrl,) = [v for k, v in columns.items() if k.startswith("ctrl:")]
    fps = 1.0 / float(np.median(np.diff(columns["time"])))
    features = {"observation.state": qpos[:, None], "action": ctrl[:, None]}
    names = {"observation.state": [state_name], "action": [action_name]}
    return write_lerobot_dataset(folder, features, names, np.zeros(len(qpos), int), round(fps))


def test_cli_fits_a_lerobot_dataset_as_it_fits_the_log(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text(PARAMS)
    done = run_cli("record", "--task", "simreal/PendulumSwingupReal-v0", "--out", "real.parquet",
                   cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    model = simreal.make("simreal/PendulumSwingup-v0").unwrapped.model
    actuator = model.actuator(0).name or model.joint(model.actuator(0).trnid[0]).name
    as_lerobot(tmp_path / "real.parquet", tmp_path / "dataset", "hinge.pos", actuator)
    done = run_cli("sysid", "--task", "simreal/PendulumSwingup-v0", "--log", "dataset",
                   "--params", "params.yaml", "--out", "fit.yaml", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    fitted = simreal.make("simreal/PendulumSwingup-v0", dr=tmp_path / "fit.yaml", width=0)
    values = fitted.reset(seed=0)[1]["dr"]
    # The proxy's 40 ms delay, 4x damping with a 0.8x motor, and 0.05 rad encoder offset,
    # as tests/test_sysid.py finds them from the log itself.
    assert values["latency.action"] == pytest.approx(0.04, rel=0.05)
    assert values["joint[hinge].damping"] == pytest.approx(0.2 / 0.8, rel=0.1)
    assert values["bias.qpos[hinge]"] == pytest.approx(0.05, rel=0.1)


def test_an_entry_that_names_nothing_in_the_model_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text(PARAMS)
    done = run_cli("record", "--task", "simreal/PendulumSwingupReal-v0", "--out", "real.parquet",
                   "--duration", "2", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    as_lerobot(tmp_path / "real.parquet", tmp_path / "dataset", "hinj.pos", "motor")
    done = run_cli("sysid", "--task", "simreal/PendulumSwingup-v0", "--log", "dataset",
                   "--params", "params.yaml", "--out", "fit.yaml", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "observation.state entry 'hinj.pos' names no joint of the model (close: hinge)" in (
        done.stderr
    )
    assert not (tmp_path / "fit.yaml").exists()


def test_two_entries_of_one_joint_are_refused(tmp_path: Path) -> None:
    from simreal.sysid.lerobot_logs import read_lerobot_logs
    from simreal.sysid.recording import LogError

    model = simreal.make("simreal/PendulumSwingup-v0").unwrapped.model
    state = np.zeros((4, 2))
    write_lerobot_dataset(tmp_path / "d", {"observation.state": state, "action": state[:, :1]},
                          {"observation.state": ["hinge", "hinge.pos"],
                           "action": [model.actuator(0).name or "hinge"]},
                          np.zeros(4, int), 50)  # fmt: skip
    with pytest.raises(LogError, match="two observation.state entries name hinge"):
        read_lerobot_logs(tmp_path / "d", model)
