"""The Q-filtered BC step and the clone's entropy target of BC -> SAC."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3 import SAC

import simreal  # noqa: F401
from simreal.learning.demo_buffer import DemoReplayBuffer
from simreal.learning.demo_regulariser import QFilteredBC, clone_entropy

TASK = "simreal/PendulumSwingup-v0"


def _model(demo_action: float) -> SAC:
    rng = np.random.default_rng(0)
    obs = rng.standard_normal((64, 3)).astype(np.float32)
    demos = {"obs": obs, "next_obs": obs, "actions": np.full((64, 1), demo_action, np.float32),
             "rewards": np.zeros(64, np.float32), "dones": np.zeros(64, np.float32)}  # fmt: skip
    return SAC("MlpPolicy", gym.make(TASK), seed=0, device="cpu", learning_starts=0,
               replay_buffer_class=DemoReplayBuffer, replay_buffer_kwargs={"demos": demos},
               policy_kwargs={"net_arch": [16]})  # fmt: skip


def _mean_action(model: SAC) -> float:
    obs = torch.as_tensor(model.replay_buffer.demos.observations[:, 0])
    with torch.no_grad():
        return float(torch.tanh(model.actor.get_action_dist_params(obs)[0]).mean())


def _rate(model: SAC, demos_better: bool) -> None:
    """A critic that prefers actions near 0.8 (demos_better) or far from it."""
    sign = -1.0 if demos_better else 1.0
    model.critic.forward = lambda obs, act: (sign * (act - 0.8) ** 2,) * 2


def test_qfiltered_bc_pulls_the_actor_to_demonstrations_the_critic_prefers() -> None:
    model = _model(0.8)
    bc = QFilteredBC(warmup=0, steps=20, batch_size=32, learning_rate=1e-2)
    bc.init_callback(model)
    model.num_timesteps = 1
    before = _mean_action(model)
    _rate(model, demos_better=True)
    bc.on_rollout_end()
    after = _mean_action(model)
    assert bc.updates == 20 and bc.kept == bc.seen == 640
    assert abs(after - 0.8) < abs(before - 0.8) - 0.2

    model = _model(0.8)
    bc = QFilteredBC(warmup=0, steps=20, batch_size=32, learning_rate=1e-2)
    bc.init_callback(model)
    model.num_timesteps = 1
    before = _mean_action(model)
    _rate(model, demos_better=False)  # the actor's own action is rated higher: no pull
    bc.on_rollout_end()
    assert bc.kept == 0 and _mean_action(model) == before


def test_qfiltered_bc_waits_for_the_critic_warmup() -> None:
    model = _model(0.8)
    bc = QFilteredBC(warmup=100, steps=2, batch_size=32, learning_rate=1e-2)
    bc.init_callback(model)
    model.num_timesteps = 100
    bc.on_rollout_end()
    assert bc.updates == 0
    model.num_timesteps = 101
    bc.on_rollout_end()
    assert bc.updates == 2


def test_clone_entropy_falls_as_the_actor_narrows() -> None:
    model = _model(0.0)
    wide = clone_entropy(model)
    with torch.no_grad():
        model.actor.log_std.bias.fill_(-4.0)
        model.actor.log_std.weight.zero_()
    assert clone_entropy(model) < wide - 3.0


def test_qfiltered_bc_resumes_with_its_optimizer_moments(tmp_path: Path) -> None:
    """A BC step after a checkpoint equals the uninterrupted one only with Adam's moments."""
    from simreal.learning.checkpoint import checkpoint_tensors

    def run(steps: int, restore: dict | None = None) -> tuple[SAC, QFilteredBC]:
        model = _model(0.8)
        _rate(model, demos_better=True)
        bc = QFilteredBC(warmup=0, steps=1, batch_size=32, learning_rate=1e-2)
        bc.init_callback(model)
        model.num_timesteps = 1
        if restore is not None:
            model.actor.load_state_dict(restore["actor"])
            bc.load_state_dict(restore["bc"], model.actor)
        for _ in range(steps):
            np.random.seed(0)  # SB3's buffers sample from NumPy's global generator
            bc.on_rollout_end()
        return model, bc

    whole, _ = run(4)
    part, bc = run(3)
    torch.save({"qfilter_bc": bc.state_dict()}, tmp_path / "extra.pt")
    saved = {"actor": part.actor.state_dict(), "bc": checkpoint_tensors(tmp_path)["qfilter_bc"]}
    resumed, _ = run(1, restore=saved)
    fresh, _ = run(1, restore={**saved, "bc": {}})  # the moments dropped: a different step
    target = torch.nn.utils.parameters_to_vector(whole.actor.parameters())
    for model, same in ((resumed, True), (fresh, False)):
        vector = torch.nn.utils.parameters_to_vector(model.actor.parameters())
        assert torch.allclose(vector, target, atol=1e-7) is same


def test_a_broken_extra_tensors_file_is_refused_in_one_sentence(tmp_path: Path) -> None:
    from simreal.learning.checkpoint import checkpoint_tensors
    from simreal.learning.policy_store import RunError

    assert checkpoint_tensors(tmp_path) is None  # none saved
    for content in (b"not a torch file", None):
        if content is None:
            torch.save([1, 2], tmp_path / "extra.pt")  # readable, but not a dict
        else:
            (tmp_path / "extra.pt").write_bytes(content)
        with pytest.raises(RunError, match="not simreal checkpoint tensors.*resume from scratch"):
            checkpoint_tensors(tmp_path)
