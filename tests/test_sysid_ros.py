"""simreal sysid reads ROS 2 bags and MCAP files written by the ROS tools' own writers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simreal
from simreal.sysid.readers import read_log
from simreal.sysid.recording import LogError
from simreal.sysid.ros_logs import read_ros_log
from tests.conftest import run_cli
from tests.ros_bag_writers import write_mcap, write_rosbag
from tests.test_sysid import PROXY_PARAMS as PARAMS

TASK = "simreal/PendulumSwingup-v0"


@pytest.fixture(scope="module")
def proxy_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight seconds of the pendulum's real proxy, logged through its sensors."""
    folder = tmp_path_factory.mktemp("ros")
    done = run_cli("record", "--task", "simreal/PendulumSwingupReal-v0", "--out", "real.parquet",
                   "--duration", "8", cwd=folder)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return folder / "real.parquet"


def _model():  # noqa: ANN202
    return simreal.make(TASK).unwrapped.model


def _actuator_names(model) -> list[str]:  # noqa: ANN001
    return [model.actuator(i).name or model.joint(model.actuator(i).trnid[0]).name
            for i in range(model.nu)]  # fmt: skip


def _assert_same(read, log) -> None:  # noqa: ANN001
    np.testing.assert_allclose(read.time, log.time - log.time[0], atol=2e-9)
    for group in ("qpos", "qvel", "ctrl"):
        assert set(getattr(read, group)) == set(getattr(log, group)), group
        for name, values in getattr(log, group).items():
            np.testing.assert_array_equal(getattr(read, group)[name], values)


@pytest.mark.parametrize("storage", ["sqlite3", "mcap"])
def test_a_rosbag2_reads_back_as_the_log(proxy_log: Path, tmp_path: Path, storage: str) -> None:
    log, model = read_log(proxy_log), _model()
    write_rosbag(log, tmp_path / "bag", storage, command_names=_actuator_names(model))
    (read,) = read_ros_log(tmp_path / "bag", model)
    _assert_same(read, log)
    assert read.measurement == "ROS 2 topic /joint_states"


def test_a_float_array_command_follows_the_actuator_order(proxy_log: Path, tmp_path: Path) -> None:
    log = read_log(proxy_log)
    write_rosbag(log, tmp_path / "bag", "sqlite3", command_names=None)
    (read,) = read_ros_log(tmp_path / "bag/bag.db3", _model())
    _assert_same(read, log)


def test_an_mcap_from_the_mcap_writer_fits_like_the_log(proxy_log: Path, tmp_path: Path) -> None:
    log, model = read_log(proxy_log), _model()
    write_mcap(log, tmp_path / "run.mcap", _actuator_names(model))
    (read,) = read_ros_log(tmp_path / "run.mcap", model)
    _assert_same(read, log)
    (tmp_path / "params.yaml").write_text(PARAMS)
    done = run_cli("sysid", "--task", TASK, "--log", "run.mcap", "--params", "params.yaml",
                   "--out", "fit.yaml", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    values = simreal.make(TASK, dr=tmp_path / "fit.yaml", width=0).reset(seed=0)[1]["dr"]
    assert values["latency.action"] == pytest.approx(0.04, rel=0.1)  # the proxy's delay
    assert values["bias.qpos[hinge]"] == pytest.approx(0.05, rel=0.15)  # its encoder offset


def test_commands_between_joint_states_are_held_from_their_stamp(tmp_path: Path) -> None:
    from simreal.sysid.recording import Recording

    model = _model()
    time = np.arange(6) * 0.01
    names = _actuator_names(model)
    rec = Recording(time, {names[0]: np.arange(6.0)}, {"hinge": time * 0}, {"hinge": time * 0})
    write_rosbag(rec, tmp_path / "same", command_names=names)
    (read,) = read_ros_log(tmp_path / "same", model)
    np.testing.assert_array_equal(read.ctrl[names[0]], np.arange(6.0))
    # Commands stamped 4 ms after each state: each row holds the command before it.
    write_rosbag(rec, tmp_path / "late", command_names=names, command_delay_ns=4_000_000)
    (read,) = read_ros_log(tmp_path / "late", model)
    np.testing.assert_array_equal(read.ctrl[names[0]], np.arange(5.0))
    assert read.time[0] == pytest.approx(0.0) and read.time.size == 5  # the first row has none


def test_a_float_array_maps_to_the_actuators_in_model_order(tmp_path: Path) -> None:
    import mujoco

    from simreal.model_catalog import resolve_model
    from simreal.sysid.recording import Recording

    arm = mujoco.MjModel.from_xml_path(str(resolve_model("robosuite-models:z1")))
    actuators = [arm.actuator(i).name for i in range(arm.nu)]
    time = np.arange(4) * 0.01
    ctrl = {a: time + 10 * i for i, a in enumerate(actuators)}
    joints = {arm.joint(i).name: time * 0 for i in range(arm.njnt)}
    write_rosbag(Recording(time, ctrl, joints, joints), tmp_path / "bag", command_names=None)
    (read,) = read_ros_log(tmp_path / "bag", arm)
    for i, a in enumerate(actuators):
        np.testing.assert_array_equal(read.ctrl[a], time + 10 * i)


def test_a_missing_topic_lists_the_bags_topics(proxy_log: Path, tmp_path: Path) -> None:
    write_rosbag(read_log(proxy_log), tmp_path / "bag", command_names=_actuator_names(_model()))
    with pytest.raises(LogError, match=r"no topic /joint_state \(it has /joint_states.*topic"):
        read_ros_log(tmp_path / "bag", _model(), joint_topic="/joint_state")
    write_rosbag(read_log(proxy_log), tmp_path / "array", command_names=None)
    with pytest.raises(LogError, match="topic /joint_commands holds std_msgs/msg/Float64Multi"):
        read_ros_log(tmp_path / "array", _model(), joint_topic="/joint_commands")


def test_cli_refuses_a_joint_the_model_lacks_in_one_sentence(tmp_path: Path) -> None:
    from simreal.sysid.recording import Recording

    model = _model()
    time = np.arange(20) * 0.01
    rec = Recording(time, {_actuator_names(model)[0]: time}, {"hinje": time}, {"hinje": time})
    write_rosbag(rec, tmp_path / "bag", command_names=_actuator_names(model))
    (tmp_path / "params.yaml").write_text(PARAMS)
    done = run_cli("sysid", "--task", TASK, "--log", "bag", "--params", "params.yaml",
                   "--out", "fit.yaml", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "joint state name 'hinje' is not in the model (close: hinge)" in done.stderr
    assert not (tmp_path / "fit.yaml").exists()
    done = run_cli("sysid", "--task", TASK, "--log", "bag", "--params", "params.yaml",
                   "--command-topic", "/cmd", "--out", "fit.yaml", cwd=tmp_path)  # fmt: skip
    assert (
        done.returncode == 2
        and "no topic /cmd" in done.stderr
        and "--command-topic" in (done.stderr)
    )
