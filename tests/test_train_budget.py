"""Training budgets are exact, and `simreal train` uses the task's train.yaml like the sweep."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from stable_baselines3.common.vec_env import VecEnvWrapper

import simreal.vector.make_vec as make_vec_module
from simreal.learning.train import RunError, TrainConfig, train, trained_steps
from tests.conftest import run_cli

TASK = "simreal/PendulumSwingup-v0"
TINY = {"policy_kwargs": {"net_arch": [8]}}


class StepCounter(VecEnvWrapper):
    """Counts the env steps taken through it (all envs together)."""

    taken = 0

    def reset(self):  # noqa: ANN201
        return self.venv.reset()

    def step_wait(self):  # noqa: ANN201
        StepCounter.taken += self.venv.num_envs
        return self.venv.step_wait()


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> type[StepCounter]:
    make = make_vec_module.make_vec
    monkeypatch.setattr(make_vec_module, "make_vec", lambda *a, **k: StepCounter(make(*a, **k)))
    StepCounter.taken = 0
    return StepCounter


@pytest.mark.parametrize(
    ("algo", "kwargs", "steps", "expected"),
    [
        # 100 is not a multiple of the 64-step rollout (32 steps x 2 envs): SB3 alone takes 128.
        ("ppo", {"n_steps": 32, "batch_size": 32, "n_epochs": 1, **TINY}, 100, 100),
        # A budget shorter than one rollout: SB3 alone takes the whole 2048 x 2 steps.
        ("ppo", {"batch_size": 32, "n_epochs": 1, **TINY}, 40, 40),
        ("sac", {"learning_starts": 16, "batch_size": 16, **TINY}, 50, 50),
    ],
)
def test_a_run_takes_exactly_its_budget_of_env_steps(
    tmp_path: Path, counted: type[StepCounter], algo: str, kwargs: dict, steps: int, expected: int
) -> None:
    config = TrainConfig(TASK, algo, steps, seed=0, n_envs=2, checkpoint_every=64,
                         algo_kwargs=kwargs)  # fmt: skip
    run = train(config, tmp_path / "run", progress=False)
    assert counted.taken == expected
    assert trained_steps(run) == expected
    checkpoint = json.loads(next((run / "checkpoints").glob("step-*/state.json")).read_text())
    assert checkpoint["steps"] == expected
    assert json.loads((run / "config.json").read_text())["steps"] == expected


def test_cli_train_uses_the_tasks_train_yaml_and_prints_the_true_count(tmp_path: Path) -> None:
    import simreal.envs.registry as registry

    defaults = registry.task_for(TASK).default_spec_path.with_name("train.yaml")
    sac = yaml.safe_load(defaults.read_text())["algo_kwargs"]["sac"]
    done = run_cli("train", "--task", TASK, "--algo", "sac", "--steps", "42", "--envs", "2",
                   "--out", "r", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert config["algo_kwargs"] == sac  # the same settings simreal sweep trains with
    assert "for 42 env steps" in done.stdout
    assert trained_steps(tmp_path / "r") == 42
    helped = run_cli("train", "--help")
    assert "train.yaml" in helped.stdout
    # An explicit 0 is bad input, not "use the default".
    zero = run_cli("train", "--task", TASK, "--steps", "0", "--out", "z", cwd=tmp_path)
    assert zero.returncode == 2 and "--steps: expected an integer >= 1" in zero.stderr
    assert not (tmp_path / "z").exists()


def test_a_budget_the_envs_cannot_take_is_refused(tmp_path: Path) -> None:
    for command in (("train", "--task", TASK, "--out", "r"),
                    ("sweep", "--task", TASK, "--widths", "0", "--out", "r")):  # fmt: skip
        done = run_cli(*command, "--steps", "101", "--envs", "2", cwd=tmp_path)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert "--steps: steps 101 is not a multiple of the 2 parallel envs" in done.stderr
        assert "use 100 or 102" in done.stderr
        assert not (tmp_path / "r").exists()
    with pytest.raises(ValueError, match="not a multiple"):
        train(TrainConfig(TASK, "ppo", 101, n_envs=2), tmp_path / "direct", progress=False)
    assert not (tmp_path / "direct").exists()


def test_a_tasks_budget_goes_with_its_algorithm() -> None:
    from simreal.learning.defaults import FALLBACK, run_settings

    algo, steps, envs, kwargs = run_settings(TASK)  # the pendulum's train.yaml: SAC, 16,000 x 4
    assert (algo, steps, envs) == ("sac", 16_000, 4) and kwargs["learning_starts"] == 1000
    algo, steps, envs, kwargs = run_settings(TASK, "ppo")  # not SAC's 16,000 steps on 4 envs
    assert (algo, steps, envs, kwargs) == ("ppo", FALLBACK["steps"], FALLBACK["n_envs"], {})
    assert run_settings(TASK, "ppo", 640, 2)[1:3] == (640, 2)


def test_a_sac_budget_within_learning_starts_warns(tmp_path: Path) -> None:
    done = run_cli("train", "--task", TASK, "--algo", "sac", "--steps", "40", "--envs", "2",
                   "--out", "r", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "learning_starts); --steps 40 trains none" in done.stderr


def test_a_rerun_with_fewer_steps_is_refused_and_keeps_the_run(tmp_path: Path) -> None:
    kwargs = {"learning_starts": 16, "batch_size": 16, **TINY}
    config = TrainConfig(TASK, "sac", 64, n_envs=2, checkpoint_every=64, algo_kwargs=kwargs)
    run = train(config, tmp_path / "run", progress=False)
    with pytest.raises(RunError, match="has trained 64 env steps, more than --steps 32"):
        train(TrainConfig(**{**config.__dict__, "steps": 32}), run, progress=False)
    assert json.loads((run / "config.json").read_text())["steps"] == 64
    assert trained_steps(run) == 64
