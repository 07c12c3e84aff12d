"""Policies stored as tensors plus a description: loading runs no code from the file."""

from __future__ import annotations

import base64
import json
import pathlib
import zipfile
from pathlib import Path

import cloudpickle
import gymnasium as gym
import numpy as np
import pytest
import torch

import simreal  # noqa: F401
from simreal.learning.policy_store import RunError, load_model, save_model

TASK = "simreal/PendulumSwingup-v0"


class _TouchOnLoad:
    """Unpickling this creates a file: what a hostile ``policy.zip`` can do."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple:
        return pathlib.Path.touch, (pathlib.Path(self.target),)


def hostile_policy_zip(path: Path, marker: Path) -> Path:
    """An SB3-layout ``policy.zip`` whose ``:serialized:`` entry touches ``marker`` when loaded."""
    payload = base64.b64encode(cloudpickle.dumps(_TouchOnLoad(marker))).decode()
    data = {"policy_class": {":type:": "<class 'type'>", ":serialized:": payload}}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data", json.dumps(data))
    return path


@pytest.mark.parametrize("algo", ["ppo", "sac"])
def test_a_stored_model_acts_like_the_original(tmp_path: Path, algo: str) -> None:
    from stable_baselines3 import PPO, SAC

    env = gym.make(TASK)
    kwargs = {"policy_kwargs": {"net_arch": [16], "activation_fn": torch.nn.ReLU}}
    kwargs.update({"n_steps": 32, "batch_size": 32} if algo == "ppo" else {"learning_starts": 8})
    model = {"ppo": PPO, "sac": SAC}[algo]("MlpPolicy", env, seed=3, device="cpu", **kwargs)
    model.learn(64)
    save_model(model, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policy.json", "policy.pt"]
    loaded = load_model(tmp_path, algo)
    obs = np.random.default_rng(0).standard_normal((16, 3)).astype(np.float32)
    np.testing.assert_array_equal(
        loaded.predict(obs, deterministic=True)[0], model.predict(obs, deterministic=True)[0]
    )
    assert loaded.num_timesteps == 64
    assert loaded.policy_kwargs["activation_fn"] is torch.nn.ReLU
    with pytest.raises(RunError, match="a ppo model, expected sac|a sac model, expected ppo"):
        load_model(tmp_path, "sac" if algo == "ppo" else "ppo")


def test_a_pickled_policy_zip_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    hostile_policy_zip(tmp_path / "policy.zip", marker)
    with pytest.raises(RunError, match="would run code stored in the file.*--trust-pickle"):
        load_model(tmp_path, "ppo")
    assert not marker.exists()
    # The file is a real attack: SB3's loader (behind --trust-pickle) runs it.
    with pytest.raises(RunError, match="cannot load the policy"):
        load_model(tmp_path, "ppo", trust_pickle=True)
    assert marker.exists()


def test_a_run_with_a_pickled_policy_is_refused_by_eval(tmp_path: Path) -> None:
    from simreal.learning.evaluate import evaluate
    from simreal.learning.train import TrainConfig, load_run

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps(TrainConfig(TASK, "ppo", 64).__dict__))
    np.savez(
        run / "obs_norm.npz",
        mean=np.zeros(3),
        var=np.ones(3),
        count=np.array(1.0),
        clip_obs=np.array(10.0),
        epsilon=np.array(1e-8),
    )
    marker = tmp_path / "pwned"
    hostile_policy_zip(run / "policy.zip", marker)
    with pytest.raises(RunError, match="--trust-pickle"):
        load_run(run)
    with pytest.raises(RunError, match="--trust-pickle"):
        evaluate(run, TASK, episodes=1)
    assert not marker.exists()


def test_truncated_weights_say_what_to_do(tmp_path: Path) -> None:
    from stable_baselines3 import PPO

    model = PPO("MlpPolicy", gym.make(TASK), n_steps=32, batch_size=32, device="cpu")
    save_model(model, tmp_path)
    weights = tmp_path / "policy.pt"
    weights.write_bytes(weights.read_bytes()[:200])
    with pytest.raises(RunError, match="truncated or not simreal's: rerun the command"):
        load_model(tmp_path, "ppo")


def test_a_truncated_bc_head_is_one_sentence_on_the_cli(tmp_path: Path) -> None:
    from simreal.learning.bc import BCConfig, train_bc
    from simreal.learning.collect import collect
    from tests.conftest import run_cli

    data = collect("simreal/Reach-v0", "expert", episodes=1, out=tmp_path / "demos.parquet")
    run = train_bc(BCConfig("simreal/Reach-v0", "tokens", epochs=1, bins=8, hidden=(8,)), data,
                   tmp_path / "bc", progress=False)  # fmt: skip
    weights = run / "model.pt"
    weights.write_bytes(weights.read_bytes()[:300])
    done = run_cli("eval", "--policy", str(run), "--on", "simreal/Reach-v0", "--episodes", "1")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "model.pt: cannot load the weights" in done.stderr
    assert "truncated or not simreal's: rerun the simreal bc command" in done.stderr


def test_collect_refuses_a_pickled_run_and_names_the_flag_it_has(tmp_path: Path) -> None:
    from simreal.learning.train import TrainConfig
    from tests.conftest import run_cli

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps(TrainConfig(TASK, "ppo", 64).__dict__))
    np.savez(run / "obs_norm.npz", mean=np.zeros(3), var=np.ones(3), count=np.array(1.0),
             clip_obs=np.array(10.0), epsilon=np.array(1e-8))  # fmt: skip
    marker = tmp_path / "pwned"
    hostile_policy_zip(run / "policy.zip", marker)
    out = tmp_path / "demos.parquet"
    done = run_cli("collect", "--task", TASK, "--policy", str(run), "--episodes", "1",
                   "--out", str(out))  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "--trust-pickle" in done.stderr
    assert not marker.exists() and not out.exists()
    assert "--trust-pickle" in run_cli("collect", "--help").stdout


def test_a_sac_model_with_a_fixed_entropy_coefficient_loads(tmp_path: Path) -> None:
    """SB3 builds no coefficient optimizer for a fixed ent_coef; the default one has it."""
    from stable_baselines3 import SAC

    env = gym.make(TASK)
    model = SAC("MlpPolicy", env, seed=3, device="cpu", learning_starts=8, ent_coef=0.0005,
                policy_kwargs={"net_arch": [16]})  # fmt: skip
    model.learn(32)
    save_model(model, tmp_path)
    loaded = load_model(tmp_path, "sac")
    assert loaded.log_ent_coef is None and float(loaded.ent_coef_tensor) == pytest.approx(0.0005)
    obs = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    np.testing.assert_array_equal(
        loaded.predict(obs, deterministic=True)[0], model.predict(obs, deterministic=True)[0]
    )
