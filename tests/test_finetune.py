"""BC -> RL: the remedies act, and fine-tuning budgets are the steps and episodes that ran."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.vec_env import VecEnvWrapper

from simreal.learning.collect import collect
from simreal.learning.evaluate import evaluate
from simreal.learning.policy_store import load_model

TASK = "simreal/Reach-v0"
SMALL = {"n_steps": 16, "batch_size": 32, "n_epochs": 1}


@pytest.fixture(scope="module")
def bc_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from simreal.learning.bc import BCConfig, train_bc

    folder = tmp_path_factory.mktemp("bc")
    demos = collect(TASK, "expert", episodes=4, out=folder / "reach.parquet")
    return train_bc(BCConfig(TASK, "gaussian", epochs=5), demos, folder / "bc", progress=False)


class CountingVecEnv(VecEnvWrapper):
    """Counts the env steps and the episodes that took a step, independently of SB3."""

    def __init__(self, venv: object) -> None:
        super().__init__(venv)
        self.steps = 0
        self.episodes = 0
        self.fresh = np.ones(self.num_envs, bool)

    def reset(self) -> np.ndarray:
        self.fresh[:] = True
        return self.venv.reset()

    def step_wait(self) -> tuple:
        obs, rewards, dones, infos = self.venv.step_wait()
        self.steps += self.num_envs
        self.episodes += int(self.fresh.sum())
        self.fresh = np.asarray(dones, bool).copy()
        return obs, rewards, dones, infos


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[CountingVecEnv]:
    """Every vector env that fine-tuning builds, wrapped in a counter."""
    import simreal.vector.make_vec as module

    made: list[CountingVecEnv] = []
    original = module.make_vec

    def make_counted(*args: object, **kwargs: object) -> CountingVecEnv:
        made.append(CountingVecEnv(original(*args, **kwargs)))
        return made[-1]

    monkeypatch.setattr(module, "make_vec", make_counted)
    return made


def _ppo_from(bc_run: Path, n_envs: int = 2, **kwargs: object) -> PPO:
    from simreal.vector.make_vec import make_vec

    source = load_model(bc_run, "ppo")
    env = make_vec(TASK, n_envs)
    settings = {**SMALL, "policy_kwargs": source.policy_kwargs, **kwargs}
    model = PPO("MlpPolicy", env, seed=0, device="cpu", **settings)
    model.policy.load_state_dict(source.policy.state_dict())
    return model


def _actor(model: PPO) -> list[torch.Tensor]:
    from simreal.learning.remedies import actor_parameters

    return [p.detach().clone() for p in actor_parameters(model.policy)]


def _value(model: PPO) -> list[torch.Tensor]:
    return [p.detach().clone() for n, p in model.policy.named_parameters() if "value" in n]


class Snapshots(BaseCallback):
    """Actor parameters after every update (at the next rollout start, and at the end)."""

    def __init__(self) -> None:
        super().__init__()
        self.actor: list[list[torch.Tensor]] = []
        self.events: list[tuple[str, bool, int]] = []

    def _on_step(self) -> bool:
        return True

    def _on_rollout_start(self) -> None:
        buffer = self.model.rollout_buffer
        self.events.append(("rollout_start", buffer.full, buffer.pos))
        self.actor.append(_actor(self.model))

    def _on_rollout_end(self) -> None:
        buffer = self.model.rollout_buffer
        self.events.append(("rollout_end", buffer.full, buffer.pos))

    def _on_training_end(self) -> None:
        self.actor.append(_actor(self.model))


def test_sb3_calls_rollout_start_on_an_empty_buffer_and_rollout_end_on_a_full_one(
    bc_run: Path,
) -> None:
    model = _ppo_from(bc_run)
    snapshots = Snapshots()
    trained: list[int] = []
    train = model.train
    model.train = lambda: (trained.append(len(snapshots.events)), train())[1]
    model.learn(64, callback=snapshots)
    # Two rollouts of 16 steps x 2 envs: start (reset buffer), end (full), then train().
    assert snapshots.events == [
        ("rollout_start", False, 0),
        ("rollout_end", True, 16),
        ("rollout_start", False, 0),
        ("rollout_end", True, 16),
    ]
    assert trained == [2, 4]  # train() runs right after each rollout_end


def test_critic_warmup_freezes_the_actor_for_exactly_its_steps(bc_run: Path) -> None:
    from simreal.learning.remedies import CriticWarmup

    model = _ppo_from(bc_run)
    value = _value(model)
    warmup, snapshots = CriticWarmup(64), Snapshots()
    model.learn(128, callback=CallbackList([warmup, snapshots]))  # 4 updates of 32 steps
    first, *after = snapshots.actor
    unchanged = [all(torch.equal(a, b) for a, b in zip(first, s, strict=True)) for s in after]
    # Updates at 32 and 64 steps: frozen; at 96: the actor trains.
    assert unchanged == [True, True, False, False]
    assert (warmup.frozen_updates, warmup.actor_updates) == (2, 2)
    assert value and not all(torch.equal(a, b) for a, b in zip(value, _value(model), strict=True))
    assert all(p.requires_grad for p in model.policy.parameters())  # unfrozen at the end


def _distance_to(model: PPO, reference: object, obs: torch.Tensor) -> float:
    with torch.no_grad():
        ours = model.policy.get_distribution(obs).distribution.mean
        theirs = reference.get_distribution(obs).distribution.mean
    return float(((ours - theirs) ** 2).mean())


def test_bc_regulariser_steps_adam_and_pulls_the_mean_to_bc(bc_run: Path) -> None:
    import copy

    from simreal.learning.remedies import BCRegulariser

    distances = {}
    for weight in (0.0, 1.0):
        # PPO itself does not move (learning rate 0); the mean starts displaced from BC's.
        model = _ppo_from(bc_run, learning_rate=0.0)
        reference = copy.deepcopy(model.policy)
        with torch.no_grad():
            model.policy.action_net.bias.add_(0.05)
        regulariser = BCRegulariser(reference, weight, decay=0.9)
        model.learn(128, callback=regulariser)  # 4 updates
        # Measured on the states of the last rollout, the regulariser's own inputs.
        obs = torch.as_tensor(model.rollout_buffer.observations.reshape(-1, 15))
        distances[weight] = _distance_to(model, reference, obs)
        if weight:
            assert regulariser.steps_taken == 4
            steps = {int(s["step"]) for s in regulariser.optimizer.state.values()}
            assert steps == {4}, steps  # Adam stepped once per update
            assert regulariser.losses[-1] < regulariser.losses[0]
        else:
            assert regulariser.steps_taken == 0
    start = 0.05**2
    assert distances[0.0] == pytest.approx(start, rel=1e-4)  # off: the mean stays displaced
    assert distances[1.0] < 0.9 * start, (start, distances)


def test_finetune_regulariser_keeps_the_mean_nearer_bc_than_without(
    bc_run: Path, tmp_path: Path
) -> None:
    from simreal.learning.finetune import FinetuneConfig, finetune

    source = load_model(bc_run, "ppo").policy
    obs = torch.as_tensor(np.random.default_rng(1).normal(size=(256, 15)), dtype=torch.float32)
    distance = {}
    for weight in (0.0, 1.0):
        config = FinetuneConfig(
            TASK, 128, n_envs=2, critic_warmup=0, bc_weight=weight, bc_decay=1.0,
            algo_kwargs={**SMALL, "learning_rate": 1e-3},
        )  # fmt: skip
        run = finetune(config, bc_run, tmp_path / f"reg{weight}")
        policy = load_model(run, "ppo").policy
        with torch.no_grad():
            ours = policy.get_distribution(obs).distribution.mean
            theirs = source.get_distribution(obs).distribution.mean
        distance[weight] = float(((ours - theirs) ** 2).mean())
    assert distance[1.0] < 0.9 * distance[0.0], distance


def test_log_std_floor_holds_after_updates_that_push_it_down(bc_run: Path, tmp_path: Path) -> None:
    from simreal.learning.finetune import FinetuneConfig, finetune

    # A negative entropy bonus drives the std down at every update.
    shrink = {**SMALL, "n_epochs": 10, "learning_rate": 0.05, "ent_coef": -1.0}
    lowest = {}
    for floor in (0.0, 0.05):
        config = FinetuneConfig(TASK, 96, n_envs=2, critic_warmup=0, init_std=0.1,
                                min_std=floor, bc_weight=0.0, algo_kwargs=shrink)  # fmt: skip
        policy = load_model(finetune(config, bc_run, tmp_path / f"f{floor}"), "ppo").policy
        half = (policy.action_space.high - policy.action_space.low) / 2
        lowest[floor] = float(np.min(np.exp(policy.log_std.detach().numpy()) / half))
    assert lowest[0.0] < 0.05  # without the floor the std falls below it ...
    assert lowest[0.05] >= 0.05 - 1e-6  # ... with it, it holds


def test_steps_budget_trains_exactly_that_many_env_steps(
    bc_run: Path, tmp_path: Path, counted: list[CountingVecEnv]
) -> None:
    from simreal.learning.finetune import FinetuneConfig, finetune

    run = finetune(
        FinetuneConfig(TASK, 300, n_envs=4, critic_warmup=0, algo_kwargs=SMALL), bc_run, tmp_path
    )
    assert [env.steps for env in counted] == [300]  # not rounded up to whole 4 x 16 rollouts
    document = json.loads((run / "finetune.json").read_text())
    ran = document["ran"]
    assert ran["env_steps"] == 300 and json.loads((run / "config.json").read_text())["steps"] == 300
    # PPO keeps its rollout length and envs; only the last rollout is shorter (75 = 4 x 16 + 11).
    layout = document["layout"]
    assert (layout["n_envs"], layout["n_steps"], layout["rollouts"], layout["last_steps"]) == (
        4, 16, 4, 11)  # fmt: skip
    assert ran["ppo_updates"] == 5
    assert (run / "curve.csv").read_text().startswith("env_steps,mean_return\n")


def test_episode_budget_on_a_real_proxy_counts_training_and_evaluation_apart(
    bc_run: Path, tmp_path: Path, counted: list[CountingVecEnv], capsys: pytest.CaptureFixture
) -> None:
    from simreal.cli import main

    out = tmp_path / "target"
    code = main(["finetune", "--policy", str(bc_run), "--task", "simreal/ReachReal-v0",
                 "--episodes", "3", "--eval-episodes", "2", "--out", str(out)])  # fmt: skip
    assert code == 0
    assert len(counted) == 1 and counted[0].episodes == 3 and counted[0].steps == 300
    document = json.loads((out / "finetune.json").read_text())
    assert document["ran"]["training_episodes"] == 3 and document["ran"]["env_steps"] == 300
    evaluation = document["evaluation"]
    assert evaluation["before"]["episodes"] == 2 and evaluation["after"]["episodes"] == 2
    printed = capsys.readouterr().out
    assert "300 env steps in 3 training episodes" in printed
    assert "2 episodes before and 2 after" in printed


def test_episode_budget_stops_before_an_extra_episode_when_episodes_end_early() -> None:
    from stable_baselines3.common.env_util import make_vec_env

    from simreal.learning.budget import EpisodeBudget

    # CartPole's random episodes end at different times in the 3 envs.
    env = CountingVecEnv(make_vec_env("CartPole-v1", n_envs=3, seed=0))
    budget = EpisodeBudget(10)
    PPO("MlpPolicy", env, n_steps=64, batch_size=64, seed=0, device="cpu").learn(
        5000, callback=budget
    )
    assert env.episodes == budget.started <= 10
    assert budget.started >= 8 and env.steps < 5000  # it stopped at the budget, not at the steps
    assert budget.cut_steps > 0


def test_a_short_finetune_trains_the_policy_and_an_unchanged_one_warns(
    bc_run: Path, tmp_path: Path
) -> None:
    from simreal.learning.finetune import FinetuneConfig, FinetuneWarning, finetune

    source = load_model(bc_run, "ppo").policy
    # The default warm-up (4096 steps) would cover both updates of 64 steps: it is cut to one.
    config = FinetuneConfig(TASK, 64, n_envs=2, critic_warmup=4096, algo_kwargs=SMALL)
    with pytest.warns(FinetuneWarning, match="warm-up shortened from 4096 to 32"):
        run = finetune(config, bc_run, tmp_path / "short")
    tuned = load_model(run, "ppo").policy
    assert not torch.equal(tuned.action_net.weight, source.action_net.weight)
    assert json.loads((run / "finetune.json").read_text())["ran"]["actor_updates"] == 1
    assert np.isfinite(evaluate(run, TASK, episodes=1).mean_return)
    # With the default log-std reset, an update that leaves the weights alone still warns.
    frozen = FinetuneConfig(TASK, 64, n_envs=2, critic_warmup=0, bc_weight=0.0,
                            algo_kwargs={**SMALL, "learning_rate": 0.0})  # fmt: skip
    with pytest.warns(FinetuneWarning, match="policy did not change.*left the actor's weights"):
        finetune(frozen, bc_run, tmp_path / "frozen")


def test_rollout_plans_keep_ppos_length_and_end_at_the_budget() -> None:
    from simreal.learning.budget import plan_rollouts

    for steps, envs in ((50_000, 8), (10_007, 1), (60_022, 2), (40, 8)):
        layout = plan_rollouts(steps, envs, 2048)
        assert layout.steps == steps and layout.n_envs == envs and layout.n_steps == 2048
        assert sum(layout.parts()) == steps
    assert plan_rollouts(50_000, 8, 2048).last_steps == 50_000 // 8 - 3 * 2048
    with pytest.raises(ValueError, match="not a multiple of the 8 parallel envs.*49,992 or 50,000"):
        plan_rollouts(49_999, 8, 2048)


def test_a_run_that_cannot_be_fine_tuned_is_refused_before_any_episode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import simreal.learning.evaluate as evaluation
    from simreal.cli import main
    from simreal.learning.bc import BCConfig, train_bc

    demos = collect(TASK, "expert", episodes=1, out=tmp_path / "demos.parquet")
    tokens = train_bc(BCConfig(TASK, "tokens", epochs=1, bins=8, hidden=(8,)), demos,
                      tmp_path / "tokens", progress=False)  # fmt: skip

    def no_episode(*args: object, **kwargs: object) -> None:
        raise AssertionError("an evaluation episode ran on the target")

    monkeypatch.setattr(evaluation, "evaluate", no_episode)
    with pytest.raises(SystemExit) as stop:
        main(["finetune", "--policy", str(tokens), "--task", "simreal/ReachReal-v0",
              "--episodes", "2", "--out", str(tmp_path / "out")])  # fmt: skip
    assert stop.value.code == 2
    assert not (tmp_path / "out").exists()


def test_cli_finetune_bad_budgets_are_refused(
    bc_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from simreal.cli import main

    for args, message in (
        (("--episodes", "0"), "--episodes must be between 1 and --max-episodes (50), got 0"),
        (("--episodes", "51"), "--episodes must be between 1 and --max-episodes (50), got 51"),
        (("--steps", "1"), "--steps must be >= 2"),
        (("--eval-episodes", "-1"), "--eval-episodes"),
        (("--steps", "301"), "--steps: steps 301 is not a multiple of the 16 parallel envs"),
        (("--init-std", "0"), "--init-std must be a number > 0 (a fraction of the half-range)"),
        (("--init-std", "keep", "--algo", "sac"), "--init-std keep is for --algo ppo;"),
    ):
        argv = ["finetune", "--policy", str(bc_run), "--task", TASK, *args,
                "--out", str(tmp_path / "x")]  # fmt: skip
        with pytest.raises(SystemExit) as stop:
            main(argv)
        stderr = capsys.readouterr().err
        assert stop.value.code == 2, stderr
        assert message in stderr and "Traceback" not in stderr, stderr
    assert not (tmp_path / "x").exists()


def test_cli_finetune_takes_ppo_settings_and_envs_from_the_tasks_train_yaml(
    bc_run: Path, tmp_path: Path
) -> None:
    from simreal.cli import main

    out = tmp_path / "ft"
    argv = ["finetune", "--policy", str(bc_run), "--task", TASK, "--steps", "512"]
    assert main([*argv, "--eval-episodes", "0", "--out", str(out)]) == 0
    document = json.loads((out / "finetune.json").read_text())
    # envs/reach/train.yaml: 16 envs, rollouts of 256 (cut to the 32 steps of this budget),
    # minibatches of 1024 and 5 epochs; SB3's defaults would be 2048, 64 and 10.
    assert document["n_envs"] == 16 and document["layout"]["n_envs"] == 16
    assert document["algo_kwargs"] == {"n_steps": 256, "batch_size": 1024, "n_epochs": 5}
    assert document["ran"]["env_steps"] == 512


def test_cli_finetune_init_std_keep_goes_on_with_the_policys_own_std(
    bc_run: Path, tmp_path: Path
) -> None:
    from simreal.cli import main

    def log_std(run: Path) -> np.ndarray:
        return load_model(run, "ppo").policy.log_std.detach().numpy()

    argv = ["finetune", "--policy", str(bc_run), "--task", TASK, "--steps", "32", "--envs", "2",
            "--critic-warmup", "0", "--eval-episodes", "0"]  # fmt: skip
    assert main([*argv, "--init-std", "keep", "--out", str(tmp_path / "keep")]) == 0
    assert main([*argv, "--out", str(tmp_path / "reset")]) == 0
    # One PPO update of 5 Adam steps at 3e-4 moves a log-std by at most about 1.5e-3.
    np.testing.assert_allclose(log_std(tmp_path / "keep"), log_std(bc_run), atol=0.01)
    assert np.all(np.abs(log_std(tmp_path / "reset") - log_std(bc_run)) > 0.1)
    document = json.loads((tmp_path / "keep" / "finetune.json").read_text())
    assert document["init_std"] is None


def test_the_actor_excludes_a_separate_critic_feature_extractor(bc_run: Path) -> None:
    from stable_baselines3.common.torch_layers import BaseFeaturesExtractor

    from simreal.learning.remedies import actor_parameters
    from simreal.vector.make_vec import make_vec

    class LinearFeatures(BaseFeaturesExtractor):
        """A feature extractor with weights, one for the actor and one for the critic."""

        def __init__(self, space: object) -> None:
            super().__init__(space, features_dim=8)
            self.linear = torch.nn.Linear(space.shape[0], 8)

        def forward(self, obs: torch.Tensor) -> torch.Tensor:
            return torch.relu(self.linear(obs))

    model = PPO("MlpPolicy", make_vec(TASK, 1), n_steps=16, batch_size=16, device="cpu",
                policy_kwargs={"share_features_extractor": False,
                               "features_extractor_class": LinearFeatures})  # fmt: skip
    assert any(n.startswith("vf_features_extractor.") for n, _ in model.policy.named_parameters())
    actor = {id(p) for p in actor_parameters(model.policy)}
    for name, parameter in model.policy.named_parameters():
        is_critic = name.startswith(("mlp_extractor.value_net", "value_net", "vf_features"))
        assert (id(parameter) in actor) != is_critic, name
