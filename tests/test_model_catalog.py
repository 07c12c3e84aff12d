"""Robot models that registry packages ship, by name: the catalog, simreal/Model-v0, the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simreal
from simreal.model_catalog import ModelNameError, catalog, resolve_model
from simreal.vector.batch_env import BatchedVectorEnv
from tests.conftest import run_cli

ARM = "robosuite-models:z1"  # Unitree Z1, six motors, meshes beside the MJCF
FRANKA = "gymnasium-robotics:franka_kitchen"  # Franka Panda, position servos, includes


def test_the_catalog_finds_the_packages_models_with_their_meshes() -> None:
    models = catalog()
    for name in (ARM, "robosuite-models:vx300s", FRANKA, "dm_control:cartpole",
                 "gymnasium:reacher"):  # fmt: skip
        assert name in models and models[name].is_file(), name
    import mujoco

    franka = mujoco.MjModel.from_xml_path(str(models[FRANKA]))  # includes and meshes resolve
    assert franka.actuator("panda0_joint2").gainprm[0] == 870.0  # a position servo's kp
    assert franka.nmesh > 10


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("robosuite-models:z2", "does not exist; close names: robosuite-models:z1"),
        ("menagerie:franka_emika_panda", "downloads its models when first used"),
        ("acme:arm", "no package 'acme' ships models"),
    ],
)
def test_a_name_no_package_ships_is_one_sentence(name: str, message: str) -> None:
    with pytest.raises(ModelNameError, match=message):
        resolve_model(name)


def test_cli_records_and_refuses_by_name(tmp_path: Path) -> None:
    done = run_cli("record", "--model", ARM, "--duration", "2", "--out", "z1.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "6 controls, 6 joints" in done.stdout
    done = run_cli("record", "--model", "robosuite-models:z2", "--duration", "2",
                   "--out", "z2.csv", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "close names: robosuite-models:z1" in done.stderr
    assert not (tmp_path / "z2.csv").exists()


def test_model_env_passes_gymnasiums_checker_and_randomizes_a_servo_by_name() -> None:
    from gymnasium.utils.env_checker import check_env

    env = simreal.make("simreal/Model-v0", model="dm_control:cartpole").unwrapped
    check_env(env, skip_render_check=True)  # a window needs a display
    spec = {"terms": [{"param": "actuator[panda0_joint2].kp", "op": "scale",
                       "distribution": "uniform", "low": 0.5, "high": 0.7}]}  # fmt: skip
    env = simreal.make("simreal/Model-v0", model=FRANKA, dr=spec)
    _, info = env.reset(seed=0)
    kp = info["dr"]["actuator[panda0_joint2].kp"]
    assert 435 <= kp <= 609
    model = env.unwrapped.model
    assert model.actuator("panda0_joint2").gainprm[0] == pytest.approx(kp)
    assert model.actuator("panda0_joint2").biasprm[1] == pytest.approx(-kp)  # the servo's bias


def test_the_batched_env_steps_an_arm_as_the_single_envs_do() -> None:
    spec = {"terms": [
        {"param": "body[link2].mass", "op": "scale", "distribution": "uniform", "low": 0.7,
         "high": 1.3},
        {"param": "latency.action", "op": "set", "distribution": "uniform", "low": 0.0,
         "high": 0.03}]}  # fmt: skip
    n = 3
    vec = BatchedVectorEnv("simreal/Model-v0", n, dr=spec, n_threads=2, model=ARM)
    singles = [simreal.make("simreal/Model-v0", dr=spec, model=ARM) for _ in range(n)]
    obs, _ = vec.reset(seed=7)
    np.testing.assert_array_equal(
        obs, np.stack([e.reset(seed=7 + i)[0] for i, e in enumerate(singles)])
    )
    rng = np.random.default_rng(0)
    space = vec.single_action_space
    for _ in range(40):
        actions = rng.uniform(space.low, space.high, size=(n, *space.shape))
        obs, rewards, _, _, _ = vec.step(actions)
        for i, env in enumerate(singles):
            np.testing.assert_array_equal(obs[i], env.step(actions[i])[0])
    assert np.ptp(obs[:, 1]) > 0  # the three arms, randomized apart, moved apart


def test_record_logs_only_the_joints_named(tmp_path: Path) -> None:
    done = run_cli("record", "--model", ARM, "--duration", "1", "--joints", "joint1,joint2",
                   "--out", "two.csv", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2 joints" in done.stdout
    header = (tmp_path / "two.csv").read_text().splitlines()[1]
    assert [c for c in header.split(",") if c.startswith("qpos:")] == ["qpos:joint1", "qpos:joint2"]
    done = run_cli("record", "--model", ARM, "--duration", "1", "--joints", "joint9",
                   "--out", "bad.csv", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "'joint9' is not a 1-DoF joint" in done.stderr
    assert not (tmp_path / "bad.csv").exists()


def test_cli_fits_a_model_named_by_its_package(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text(
        "params:\n  - {param: 'joint[joint0].damping', low: 0.2, high: 5.0}\n"
    )
    done = run_cli("record", "--model", "gymnasium:reacher", "--duration", "3", "--dt", "0.01",
                   "--amplitude", "0.03", "--hidden", "joint[joint0].damping=1.5",
                   "--joints", "joint0,joint1", "--out", "reacher.csv", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    done = run_cli("sysid", "--model", "gymnasium:reacher", "--log", "reacher.csv",
                   "--params", "params.yaml", "--out", "fit.yaml", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    import yaml

    fitted = yaml.safe_load((tmp_path / "fit.yaml").read_text())["sysid"]["values"]
    assert fitted["joint[joint0].damping"] == pytest.approx(1.5, rel=1e-3)
