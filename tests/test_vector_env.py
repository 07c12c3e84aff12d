"""The batched vector env: equivalence with single envs, SB3 semantics, bad input."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback

import simreal
from simreal.vector.batch_env import BatchedVectorEnv
from simreal.vector.sb3 import SB3VecEnv


def _uniform(param: str, low: float, high: float, op: str = "scale", **extra: object) -> dict:
    return {"param": param, "op": op, "distribution": "uniform", "low": low, "high": high, **extra}


CHEETAH_SPEC = {"terms": [
    _uniform("body[torso].mass", 0.7, 1.3),
    {"param": "geom[floor].friction_sliding", "op": "scale", "distribution": "log_uniform",
     "low": 0.5, "high": 2.0},
    {"param": "option.gravity", "op": "add", "distribution": "normal", "mean": 0.0, "std": 0.3},
    _uniform("latency.action", 0.0, 0.1, op="set"),
    _uniform("noise.observation", 0.0, 0.01, op="set"),
]}  # fmt: skip
PERIODIC_SPEC = {"terms": [
    _uniform("body[pole].mass", 0.5, 1.5, schedule="every_steps", every_steps=7),
    _uniform("joint[hinge].damping", 0.5, 2.0, schedule="once"),
    _uniform("latency.action", 0.0, 0.05, op="set"),
    _uniform("bias.observation", 0.0, 0.05, op="set"),
]}  # fmt: skip

CASES = [
    ("simreal/PendulumSwingup-v0", "default", 420),
    ("simreal/PendulumSwingup-v0", PERIODIC_SPEC, 420),
    ("simreal/CartpoleBalance-v0", "default", 150),
    ("simreal/CartpoleSwingup-v0", "default", 100),
    ("simreal/Reach-v0", "default", 230),
    ("simreal/Push-v0", "default", 260),
    ("HalfCheetah-v5", CHEETAH_SPEC, 100),
    ("simreal/Push-v0", None, 30),
]


@pytest.mark.parametrize(
    ("env_id", "dr", "steps"), CASES, ids=lambda c: c if isinstance(c, str) else None
)
def test_trajectories_equal_single_envs_across_autoresets(
    env_id: str, dr: object, steps: int
) -> None:
    n = 3
    vec = BatchedVectorEnv(env_id, n, dr=dr, n_threads=2)
    singles = [simreal.make(env_id, dr=dr) for _ in range(n)]
    obs, infos = vec.reset(seed=100)
    np.testing.assert_array_equal(
        obs, np.stack([e.reset(seed=100 + i)[0] for i, e in enumerate(singles)])
    )
    rng = np.random.default_rng(0)
    space = vec.single_action_space
    episodes_ended = 0
    for _ in range(steps):
        actions = rng.uniform(space.low, space.high, size=(n, *space.shape)).astype(np.float32)
        obs, rewards, terminated, truncated, infos = vec.step(actions)
        for i, env in enumerate(singles):
            obs_i, reward_i, term_i, trunc_i, info_i = env.step(actions[i])
            assert (terminated[i], truncated[i]) == (term_i, trunc_i)
            # Exactly: both call the task's one set of array functions (N = 1 and N = 3).
            assert rewards[i] == reward_i
            assert bool(infos["is_success"][i]) == bool(info_i.get("is_success", False))
            if dr is not None:
                done = term_i or trunc_i
                vector_dr = infos["final_info"]["dr"] if done else infos["dr"]
                for key, value in info_i["dr"].items():
                    np.testing.assert_array_equal(vector_dr[key][i], value)
            if term_i or trunc_i:
                episodes_ended += 1
                np.testing.assert_array_equal(infos["final_obs"][i], obs_i)
                obs_i, _ = env.reset()
            np.testing.assert_array_equal(obs[i], obs_i)
    if steps > 100:
        assert episodes_ended > 0, "the test must cross an autoreset"


def test_sb3_ppo_trains_and_sees_terminal_observations() -> None:
    env = simreal.make_vec("simreal/CartpoleBalance-v0", n_envs=8, dr="default")
    assert isinstance(env, SB3VecEnv)
    env.seed(3)
    obs = env.reset()
    assert obs.shape == (8, 5)
    dones_seen = 0
    for _ in range(200):
        obs, rewards, dones, infos = env.step(np.random.default_rng(1).uniform(-1, 1, (8, 1)))
        for i in np.flatnonzero(dones):
            dones_seen += 1
            assert infos[i]["terminal_observation"].shape == (5,)
            assert "TimeLimit.truncated" in infos[i]
            assert not np.array_equal(infos[i]["terminal_observation"], obs[i])
    assert dones_seen > 0
    model = PPO("MlpPolicy", env, n_steps=16, batch_size=64, n_epochs=1, seed=0)
    model.learn(256)


def test_default_thread_count_and_clamping() -> None:
    cores = os.cpu_count()
    assert BatchedVectorEnv("simreal/Push-v0", 2).n_threads == cores
    assert BatchedVectorEnv("simreal/Push-v0", 2, n_threads=10_000).n_threads == cores


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_envs": 0}, "n_envs must be an integer >= 1"),
        ({"n_envs": 2, "n_threads": 0}, "n_threads"),
    ],
)
def test_bad_sizes(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simreal.make_vec("simreal/Push-v0", **kwargs)


def test_bad_actions_are_rejected_without_touching_the_state() -> None:
    vec = BatchedVectorEnv("simreal/Reach-v0", 4)
    vec.reset(seed=0)
    qpos = vec.batch.bind("qpos").copy()
    with pytest.raises(ValueError, match="actions must have shape \\(4, 3\\)"):
        vec.step(np.zeros((4, 2)))
    bad = np.zeros((4, 3))
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="actions of envs \\[2\\] are not finite"):
        vec.step(bad)
    np.testing.assert_array_equal(vec.batch.bind("qpos"), qpos)


DIVERGING_SPEC = {"terms": [{"param": "actuator[torque].gear", "op": "scale",
                              "distribution": "choice", "values": [1.0, 1e13],
                              "probs": [0.5, 0.5]}]}  # fmt: skip


def test_a_diverging_simulation_is_terminated_and_flagged_while_others_go_on() -> None:
    vec = BatchedVectorEnv("simreal/PendulumSwingup-v0", 8, dr=DIVERGING_SPEC)
    vec.reset(seed=0)
    wild = vec._values[:, 0] > 1e6  # noqa: SLF001
    assert wild.any() and (~wild).any()
    _, rewards, terminated, truncated, infos = vec.step(np.ones((8, 1)))
    np.testing.assert_array_equal(infos["diverged"], wild)
    np.testing.assert_array_equal(terminated, wild)
    assert not truncated.any()
    np.testing.assert_array_equal(infos["_final_obs"], wild)
    assert np.all(np.isfinite(rewards))


class _RawRewards(BaseCallback):
    """Record the rewards of each step as the env returned them, before SB3 bootstraps."""

    def __init__(self) -> None:
        super().__init__()
        self.rewards: list[np.ndarray] = []
        self.dones: list[np.ndarray] = []
        self.timeouts: list[list[bool]] = []

    def _on_step(self) -> bool:
        self.rewards.append(np.array(self.locals["rewards"], copy=True))
        self.dones.append(np.array(self.locals["dones"], copy=True))
        self.timeouts.append([i.get("TimeLimit.truncated", False) for i in self.locals["infos"]])
        return True


def test_ppo_does_not_bootstrap_a_value_from_a_diverged_simulation() -> None:
    env = simreal.make_vec("simreal/PendulumSwingup-v0", n_envs=8, dr=DIVERGING_SPEC)
    env.seed(0)
    model = PPO("MlpPolicy", env, n_steps=4, batch_size=32, n_epochs=1, seed=0)
    raw = _RawRewards()
    model.learn(32, callback=raw)
    dones = np.array(raw.dones)
    assert dones.sum() >= 4, "some simulations must diverge"
    assert not np.array(raw.timeouts)[dones].any()
    # SB3 adds gamma * V(terminal_observation) to the reward of a truncated step:
    # the buffer holds the env's rewards exactly, so no diverged step was bootstrapped.
    np.testing.assert_array_equal(model.rollout_buffer.rewards, np.array(raw.rewards)[-4:])


def test_unbatchable_env_falls_back_once_with_a_warning() -> None:
    import simreal.vector.make_vec as mv

    mv._WARNED.discard("simreal/ReachPixels-v0")  # noqa: SLF001
    with pytest.warns(UserWarning, match="slower SyncVectorEnv path: ReachEnv observes images"):
        env = simreal.make_vec("simreal/ReachPixels-v0", n_envs=2, dr="default", image_size=32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        simreal.make_vec("simreal/ReachPixels-v0", n_envs=1, image_size=32)
    obs = env.reset()
    assert obs.shape == (2, 32, 32, 3)
    obs, *_ = env.step(np.zeros((2, 3)))
    assert obs.dtype == np.uint8
