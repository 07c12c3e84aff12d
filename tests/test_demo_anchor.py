"""The demonstration anchor: a BC term inside SAC's own actor step (TD3+BC)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3 import SAC
from stable_baselines3.common.callbacks import CallbackList

import simreal  # noqa: F401
from simreal.learning.demo_anchor import DemoAnchor
from simreal.learning.demo_buffer import DemoReplayBuffer
from simreal.learning.remedies import OffPolicyCriticWarmup

TASK = "simreal/PendulumSwingup-v0"


def _model(demo_action: float = 0.8, seed: int = 0) -> SAC:
    rng = np.random.default_rng(0)
    obs = rng.standard_normal((64, 3)).astype(np.float32)
    demos = {"obs": obs, "next_obs": obs, "actions": np.full((64, 1), demo_action, np.float32),
             "rewards": np.zeros(64, np.float32), "dones": np.zeros(64, np.float32)}  # fmt: skip
    return SAC("MlpPolicy", gym.make(TASK), seed=seed, device="cpu", learning_starts=0,
               replay_buffer_class=DemoReplayBuffer, replay_buffer_kwargs={"demos": demos},
               policy_kwargs={"net_arch": [16]}, batch_size=32)  # fmt: skip


def _action_error(model: SAC, target: float = 0.8) -> float:
    obs = torch.as_tensor(model.replay_buffer.demos.observations[:, 0])
    with torch.no_grad():
        action = torch.tanh(model.actor.get_action_dist_params(obs)[0])
    return float(((action - target) ** 2).mean())


def _actor_step(model: SAC) -> None:
    """What SB3's ``SAC.train`` does to the actor, with a loss that has no gradient."""
    obs = torch.as_tensor(model.replay_buffer.demos.observations[:8, 0])
    model.actor.optimizer.zero_grad()
    (0.0 * model.actor(obs).sum()).backward()
    model.actor.optimizer.step()


def test_the_anchor_adds_a_bc_gradient_to_the_actors_own_optimizer_step() -> None:
    anchored, plain = _model(), _model()
    anchor = DemoAnchor(weight=1.0, batch_size=32)
    anchor.init_callback(anchored)
    anchor.on_training_start({}, {})
    before = _action_error(anchored)
    assert before == pytest.approx(_action_error(plain))
    for _ in range(300):
        _actor_step(anchored)
        _actor_step(plain)
    assert anchor.updates == 300
    assert _action_error(anchored) < 0.5 * before
    assert _action_error(plain) == pytest.approx(before, rel=1e-6)
    anchor.on_training_end()  # the hook is removed: the actor's step is SAC's alone again
    _actor_step(anchored)
    assert anchor.updates == 300


def test_sb3_calls_the_anchor_at_every_actor_step_after_the_warmup_and_never_before() -> None:
    model = _model()
    warmup = OffPolicyCriticWarmup(100)
    anchor = DemoAnchor(weight=1.0, batch_size=32)
    model.learn(200, callback=CallbackList([warmup, anchor]))
    assert warmup.frozen_updates == 100 and warmup.actor_updates == 100
    assert anchor.updates == warmup.actor_updates * model.gradient_steps
    adam_steps = {int(s["step"]) for s in model.actor.optimizer.state.values()}
    assert adam_steps == {anchor.updates}  # the actor stepped exactly when the anchor ran


def test_the_anchor_keeps_sacs_actor_on_the_demonstrations() -> None:
    errors = {}
    start = _action_error(_model(demo_action=0.8, seed=1))
    for weight in (0.0, 2.0):
        model = _model(demo_action=0.8, seed=1)
        callback = [DemoAnchor(weight=weight, batch_size=32)] if weight else []
        model.learn(400, callback=CallbackList(callback))
        errors[weight] = _action_error(model)
    assert errors[0.0] > 0.9 * start  # SAC alone does not find the demonstrated action
    assert errors[2.0] < 0.4 * start


def test_an_anchor_without_demonstrations_or_weight_is_refused() -> None:
    with pytest.raises(ValueError, match="weight > 0"):
        DemoAnchor(weight=0.0, batch_size=32)
    model = SAC("MlpPolicy", gym.make(TASK), seed=0, device="cpu", learning_starts=0)
    with pytest.raises(ValueError, match="needs demonstrations"):
        model.learn(2, callback=DemoAnchor(weight=1.0, batch_size=8))
