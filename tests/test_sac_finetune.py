"""BC -> SAC with demonstrations: the buffer draws them, the actor starts from BC, budgets hold."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from gymnasium import spaces
from stable_baselines3 import SAC
from stable_baselines3.common.callbacks import BaseCallback

from simreal.learning.collect import collect
from simreal.learning.demo_buffer import DemoReplayBuffer, demo_transitions
from simreal.learning.policy_store import load_model, save_model
from simreal.learning.sac_finetune import SACFinetuneConfig
from simreal.learning.sac_policy import LayerNormSACPolicy

TASK = "simreal/Reach-v0"
SMALL = {"batch_size": 64, "learning_starts": 50, "policy_kwargs": {"net_arch": [32, 32]}}


@pytest.fixture(scope="module")
def reach(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A Reach dataset of 4 expert episodes and a Gaussian clone of it."""
    from simreal.learning.bc import BCConfig, train_bc

    folder = tmp_path_factory.mktemp("reach")
    demos = collect(TASK, "expert", episodes=4, out=folder / "reach.parquet")
    bc = train_bc(
        BCConfig(TASK, "gaussian", epochs=5, hidden=(32, 32)), demos, folder / "bc", progress=False
    )
    return {"demos": demos, "bc": bc, "folder": folder}


def _box(n: int) -> spaces.Box:
    return spaces.Box(-1.0, 1.0, (n,), np.float32)


def test_demo_transitions_pair_each_step_with_the_next_row_and_drop_a_cut_last_step() -> None:
    columns = {
        "episode_index": np.array([0, 0, 0, 1, 1]),
        "obs:0": np.array([0.0, 1.0, 2.0, 10.0, 11.0]),
        "action:0": np.array([0.0, 2.0, -4.0, 1.0, 0.5]),  # in a range of [-2, 2]
        "reward": np.array([1.0, 2.0, 3.0, 4.0, 5.0]),
        "terminated": np.array([0, 0, 0, 0, 1]),
    }
    t = demo_transitions(columns, np.array([-2.0]), np.array([2.0]))
    # Episode 0 ends by its time limit: its last step has no next observation and is dropped.
    np.testing.assert_array_equal(t["obs"][:, 0], [0.0, 1.0, 10.0, 11.0])
    np.testing.assert_array_equal(t["next_obs"][:, 0], [1.0, 2.0, 11.0, 11.0])
    np.testing.assert_array_equal(t["actions"][:, 0], [0.0, 1.0, 0.5, 0.25])  # scaled to [-1, 1]
    np.testing.assert_array_equal(t["dones"], [0, 0, 0, 1])
    np.testing.assert_array_equal(t["rewards"], [1.0, 2.0, 4.0, 5.0])


def test_every_batch_draws_half_from_the_demonstrations() -> None:
    demos = {
        "obs": np.full((40, 2), 1000.0, np.float32),  # marked: no online obs is this large
        "next_obs": np.full((40, 2), 1000.0, np.float32),
        "actions": np.zeros((40, 1), np.float32),
        "rewards": np.ones(40, np.float32),
        "dones": np.zeros(40, np.float32),
    }
    buffer = DemoReplayBuffer(100, _box(2), _box(1), "cpu", demos=demos, demo_fraction=0.5)
    for k in range(30):
        obs = np.full((1, 2), k, np.float32)
        buffer.add(obs, obs, np.zeros((1, 1)), np.zeros(1), np.zeros(1), [{}])
    np.random.seed(0)
    batch = buffer.sample(64)
    from_demos = int((batch.observations[:, 0] == 1000.0).sum())
    assert len(batch.observations) == 64
    assert from_demos == 32
    assert (buffer.demo_draws, buffer.online_draws) == (32, 32)
    plain = DemoReplayBuffer(100, _box(2), _box(1), "cpu", demos=demos, demo_fraction=0.0)
    plain.add(obs, obs, np.zeros((1, 1)), np.zeros(1), np.zeros(1), [{}])
    assert int((plain.sample(64).observations[:, 0] == 1000.0).sum()) == 0


def test_layer_norm_critics_round_trip_through_the_policy_store(tmp_path: Path) -> None:
    import gymnasium as gym

    env = gym.make("Pendulum-v1")
    model = SAC(LayerNormSACPolicy, env, device="cpu", seed=0, buffer_size=10,
                policy_kwargs={"net_arch": [16, 16]})  # fmt: skip
    norms = [m for m in model.critic.qf0 if isinstance(m, torch.nn.LayerNorm)]
    assert len(norms) == 2  # one after each hidden layer
    assert any(isinstance(m, torch.nn.LayerNorm) for m in model.critic_target.qf1)
    save_model(model, tmp_path)
    assert json.loads((tmp_path / "policy.json").read_text())["policy"] == "LayerNormMlpPolicy"
    loaded = load_model(tmp_path, "sac")
    obs = torch.zeros(3, 3)
    act = torch.zeros(3, 1)
    assert type(loaded.policy) is LayerNormSACPolicy
    torch.testing.assert_close(loaded.critic(obs, act)[0], model.critic(obs, act)[0])


def test_the_actor_is_distilled_from_the_bc_policy(reach: dict[str, Path]) -> None:
    from simreal.learning.actor_init import distil_gaussian, gaussian_mean
    from simreal.learning.sac_finetune import check_source

    _, source = check_source(reach["bc"], TASK)
    stats = np.load(reach["bc"] / "obs_norm.npz")
    import pyarrow.parquet as pq

    table = pq.read_table(reach["demos"]).to_pydict()
    obs = np.stack([table[f"obs:{i}"] for i in range(15)], axis=1)
    obs = ((obs - stats["mean"]) / np.sqrt(stats["var"] + 1e-8)).astype(np.float32)
    import gymnasium as gym

    model = SAC("MlpPolicy", gym.make(TASK), device="cpu", seed=0,
                buffer_size=10, policy_kwargs={"net_arch": [32, 32]})  # fmt: skip
    low, high = model.action_space.low, model.action_space.high
    target = np.clip(gaussian_mean(source.policy, obs), low, high)

    def action_error() -> float:
        actions, _ = model.predict(obs, deterministic=True)
        return float(np.mean((actions - target) ** 2))

    fresh = action_error()
    distil_gaussian(model, source.policy, obs, init_std=0.1, seed=0, steps=600)
    assert action_error() < 0.05 * fresh  # the actor now acts as the clone does
    _, log_std, _ = model.actor.get_action_dist_params(torch.as_tensor(obs))
    assert float(log_std.mean().detach()) == pytest.approx(np.log(0.1), abs=0.3)


class TrainOrder(BaseCallback):
    """Records the order of SB3's calls: rollout ends, train() calls, actor gradients."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    def _on_training_start(self) -> None:
        if "train" in vars(self.model):  # wrapped in an earlier learn() call
            return
        original = self.model.train

        def train(*args: object, **kwargs: object) -> None:
            grads = any(p.requires_grad for p in self.model.actor.parameters())
            self.events.append("train(actor)" if grads else "train(frozen)")
            original(*args, **kwargs)

        self.model.train = train

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        self.events.append("rollout_end")


def test_sb3_calls_rollout_end_before_train_and_the_warmup_freezes_the_actor_then() -> None:
    import gymnasium as gym
    from stable_baselines3.common.callbacks import CallbackList

    from simreal.learning.remedies import OffPolicyCriticWarmup

    model = SAC("MlpPolicy", gym.make("Pendulum-v1"), device="cpu", seed=0, learning_starts=10,
                batch_size=16, policy_kwargs={"net_arch": [16]})  # fmt: skip
    start = [p.detach().clone() for p in model.actor.parameters()]
    order, warmup = TrainOrder(), OffPolicyCriticWarmup(5)
    model.learn(15, callback=CallbackList([warmup, order]))
    after_warmup = [p.detach().clone() for p in model.actor.parameters()]
    # SB3 trains after each step past learning_starts: 5 frozen updates, each right after
    # the rollout_end at which the warm-up decides.
    assert order.events[-10:] == ["rollout_end", "train(frozen)"] * 5
    assert (warmup.frozen_updates, warmup.actor_updates) == (5, 0)
    assert all(torch.equal(a, b) for a, b in zip(start, after_warmup, strict=True))
    assert float(model.log_ent_coef.detach()) == pytest.approx(0.0)  # held at alpha = 1
    model.learn(3, callback=CallbackList([warmup, order]), reset_num_timesteps=False)
    assert order.events[-2:] == ["rollout_end", "train(actor)"]
    assert warmup.actor_updates == 3
    assert float(model.log_ent_coef.detach()) != pytest.approx(0.0)  # tuned once the actor trains
    moved = [p.detach() for p in model.actor.parameters()]
    assert not all(torch.equal(a, b) for a, b in zip(after_warmup, moved, strict=True))


def _finetune(reach: dict[str, Path], out: Path, **overrides: object) -> Path:
    from simreal.learning.sac_finetune_run import finetune_sac

    settings = {"steps": 400, "critic_warmup": 100, "utd": 1, "algo_kwargs": SMALL}
    config = SACFinetuneConfig(TASK, **{**settings, **overrides})
    return finetune_sac(config, reach["bc"], out, progress=False)


def test_a_step_budget_is_exact_and_demonstrations_fill_half_the_batches(
    reach: dict[str, Path], tmp_path: Path
) -> None:
    run = _finetune(reach, tmp_path / "ft")
    record = json.loads((run / "finetune.json").read_text())
    ran = record["ran"]
    assert ran["env_steps"] == 400
    # learning_starts 50: 350 updates of 1 gradient step, 100 of them with the actor frozen.
    assert (ran["gradient_steps"], ran["updates_actor_frozen"]) == (350, 100)
    assert ran["demo_draws"] == ran["online_draws"] == 350 * 32
    assert ran["demo_transitions"] == 4 * 99  # 4 episodes of 100 steps, the cut last one out
    assert record["actor_init"]["from"] == "bc_gaussian"
    assert record["actor_init"]["action_mse"] < 0.01
    assert ran["policy_changed"]
    assert load_model(run, "sac").num_timesteps == 400


def test_bc_to_sac_improves_a_weakened_clone_within_2000_steps(
    reach: dict[str, Path], tmp_path: Path
) -> None:
    """A clone of 4 episodes after 5 epochs, fine-tuned for 2,000 steps (seeded).

    That the demonstrations are drawn and the actor starts from the clone is checked by
    the tests above (draw counts, distillation error); at this budget on Reach, removing
    either changes the return by less than the evaluation's noise.
    """
    from simreal.learning.evaluate import evaluate

    settings = {"steps": 2000, "critic_warmup": 200, "algo_kwargs": {**SMALL, "batch_size": 128}}
    clone = evaluate(reach["bc"], TASK, episodes=10).mean_return
    tuned = _finetune(reach, tmp_path / "ft", **settings)
    after = evaluate(tuned, TASK, episodes=10).mean_return
    assert after > clone + 10, (clone, after)
    record = json.loads((tuned / "finetune.json").read_text())
    assert record["ran"]["demo_draws"] == record["ran"]["online_draws"] > 0


def test_a_ppo_run_is_distilled_into_layer_normed_sac_that_takes_utd_steps(
    reach: dict[str, Path], tmp_path: Path
) -> None:
    from simreal.learning.train import TrainConfig, train

    ppo = {"n_steps": 32, "batch_size": 64, "n_epochs": 1}
    source = train(TrainConfig(TASK, "ppo", 64, 0, 2, None, 1.0, 64, ppo), tmp_path / "ppo",
                   progress=False)  # fmt: skip
    from simreal.learning.sac_finetune_run import finetune_sac

    config = SACFinetuneConfig(TASK, 120, utd=2, critic_warmup=10, demos=(str(reach["demos"]),),
                               algo_kwargs=SMALL)  # fmt: skip
    run = finetune_sac(config, source, tmp_path / "ft", progress=False)
    record = json.loads((run / "finetune.json").read_text())
    assert record["actor_init"]["from"] == "ppo"
    assert record["actor_init"]["action_mse"] < 0.01
    assert record["ran"]["gradient_steps"] == (120 - 50) * 2  # 2 per env step after the start
    assert json.loads((run / "policy.json").read_text())["policy"] == "LayerNormMlpPolicy"
    assert any(isinstance(m, torch.nn.LayerNorm) for m in load_model(run, "sac").critic.qf0)


def test_the_fine_tune_runs_the_qfiltered_bc_and_tunes_towards_the_clones_entropy(
    reach: dict[str, Path], tmp_path: Path
) -> None:
    ran = json.loads((_finetune(reach, tmp_path / "on") / "finetune.json").read_text())["ran"]
    assert ran["qfilter_bc_updates"] == 350 - 100  # one per update after the warm-up
    assert 0.0 <= ran["qfilter_bc_kept"] <= 1.0
    dim = load_model(reach["bc"], "ppo").action_space.shape[0]
    assert ran["target_entropy"] != pytest.approx(-dim)
    off = _finetune(reach, tmp_path / "off", qfilter_bc=False, target_entropy="auto")
    ran = json.loads((off / "finetune.json").read_text())["ran"]
    assert ran["qfilter_bc_updates"] == 0
    assert ran["target_entropy"] == pytest.approx(-dim)
