"""Training, resuming, evaluation and demonstration datasets."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pyarrow.parquet as pq
import pytest

from simreal.learning.collect import collect
from simreal.learning.evaluate import evaluate
from simreal.learning.train import RunError, TrainConfig, load_run, train
from tests.conftest import run_cli

SMALL_PPO = {"n_steps": 32, "batch_size": 64, "n_epochs": 1}
MASS_SPEC = {
    "terms": [
        {
            "param": "body[pole].mass",
            "op": "scale",
            "distribution": "uniform",
            "low": 0.8,
            "high": 1.2,
        }
    ]
}


def _config(steps: int, algo: str = "ppo", **kwargs: object) -> TrainConfig:
    algo_kwargs = SMALL_PPO if algo == "ppo" else {"learning_starts": 32, "batch_size": 32}
    return TrainConfig(
        "simreal/PendulumSwingup-v0",
        algo,
        steps,
        seed=1,
        n_envs=2,
        dr=MASS_SPEC,
        checkpoint_every=64,
        algo_kwargs=algo_kwargs,
        **kwargs,
    )


@pytest.mark.parametrize("algo", ["ppo", "sac"])
def test_train_writes_a_loadable_run_that_resumes(tmp_path: Path, algo: str) -> None:
    run = tmp_path / "run"
    train(_config(128, algo), run, progress=False)
    _, model, stats = load_run(run)
    assert model.num_timesteps == 128 and stats["mean"].shape == (3,)
    # Interrupted or extended: the same command with more steps continues from the checkpoint.
    train(_config(256, algo), run, progress=False)
    _, model, _ = load_run(run)
    assert model.num_timesteps == 256
    assert any((run / "tb").rglob("events.out.tfevents.*")), "no TensorBoard log"
    assert (run / "curve.csv").read_text().startswith("env_steps,mean_return")


def test_a_folder_holding_another_run_is_refused(tmp_path: Path) -> None:
    train(_config(64), tmp_path / "run", progress=False)
    with pytest.raises(RunError, match="holds another run"):
        train(TrainConfig(**{**_config(64).__dict__, "seed": 2}), tmp_path / "run", progress=False)


def test_truncated_or_missing_runs_are_named(tmp_path: Path) -> None:
    run = tmp_path / "run"
    train(_config(64), run, progress=False)
    (run / "policy.pt").write_bytes((run / "policy.pt").read_bytes()[:100])
    with pytest.raises(RunError, match="policy.pt: cannot read the weights.*truncated"):
        load_run(run)
    with pytest.raises(RunError, match="config.json is missing"):
        load_run(tmp_path / "nothing")


def test_evaluate_a_run_and_the_expert_with_intervals(tmp_path: Path) -> None:
    train(_config(64), tmp_path / "run", progress=False)
    result = evaluate(tmp_path / "run", "simreal/PendulumSwingupReal-v0", episodes=3)
    assert result.episodes == 3 and np.isfinite(result.mean_return)
    low, high = result.success_ci95
    assert 0.0 <= low <= result.success_rate <= high <= 1.0
    expert = evaluate("expert", "simreal/PendulumSwingup-v0", episodes=3)
    assert expert.success_rate == 1.0 and expert.mean_return > result.mean_return
    with pytest.raises(RunError, match="trained on observations \\(3,\\)"):
        evaluate(tmp_path / "run", "simreal/Reach-v0", episodes=1)


def test_collect_writes_a_dataset_readable_without_simreal(tmp_path: Path) -> None:
    path = collect(
        "simreal/Reach-v0",
        "expert",
        episodes=3,
        out=tmp_path / "demos.parquet",
        dr="default",
        seed=5,
    )
    table = pq.read_table(path)
    assert table.num_rows == 300  # 3 episodes x 100 steps
    columns = set(table.column_names)
    assert {"episode_index", "step", "time", "obs:0", "obs:14", "action:2", "reward"} <= columns
    assert "dr:body[forearm].mass" in columns
    episodes = table.column("episode_index").to_numpy()
    assert list(np.unique(episodes)) == [0, 1, 2]
    assert table.column("truncated").to_numpy().sum() == 3
    h5 = collect("simreal/Reach-v0", "expert", episodes=1, out=tmp_path / "demos.h5")
    with h5py.File(h5) as f:
        assert f["obs:0"].shape == (100,)
    with pytest.raises(ValueError, match="observes images"):
        collect("simreal/ReachPixels-v0", "expert", episodes=1, out=tmp_path / "px.parquet")


def test_cli_train_eval_collect_and_bad_input(tmp_path: Path) -> None:
    done = run_cli(
        "train",
        "--task",
        "simreal/PendulumSwingup-v0",
        "--steps",
        "64",
        "--envs",
        "2",
        "--dr",
        "default",
        "--out",
        "runs/x",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    done = run_cli(
        "eval",
        "--policy",
        "runs/x",
        "--on",
        "simreal/PendulumSwingupReal-v0",
        "--episodes",
        "2",
        "--json",
        "ev.json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "ev.json").read_text())[0]["episodes"] == 2
    for args, message in (
        (("train", "--task", "simreal/Nope-v0", "--out", "r"), "--task"),
        (("train", "--task", "simreal/Push-v0", "--algo", "a2c", "--out", "r"), "invalid choice"),
        (("train", "--task", "simreal/Push-v0", "--dr", "missing.yaml", "--out", "r"), "--dr"),
        (("eval", "--policy", "runs/x", "--on", "simreal/Push-v0"), "trained on observations"),
        (("eval", "--policy", "nowhere", "--on", "simreal/Push-v0"), "not a finished simreal run"),
        (("collect", "--task", "simreal/Push-v0", "--out", "d.txt"), "--out"),
    ):
        done = run_cli(*args, cwd=tmp_path)
        assert done.returncode == 2, args
        assert message in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "r").exists()


@pytest.fixture(scope="module")
def reach_demos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return collect(
        "simreal/Reach-v0",
        "expert",
        episodes=10,
        out=tmp_path_factory.mktemp("demos") / "reach.parquet",
    )


@pytest.mark.parametrize("head", ["gaussian", "tokens", "flow"])
def test_each_bc_head_learns_and_is_evaluable(tmp_path: Path, reach_demos: Path, head: str) -> None:
    from simreal.learning.bc import BCConfig, train_bc

    config = BCConfig("simreal/Reach-v0", head, epochs=60, batch_size=64, horizon=4, execute=2)
    run = train_bc(config, reach_demos, tmp_path / head, progress=False)
    losses = json.loads((run / "config.json").read_text())["losses"]
    if head == "gaussian":  # a negative log-likelihood: it falls by nats, not by a factor
        assert losses[-1] < losses[0] - 2.0, losses
    else:
        assert losses[-1] < 0.5 * losses[0], losses
    result = evaluate(run, "simreal/Reach-v0", episodes=2)
    assert np.isfinite(result.mean_return)
    # Better than holding the rest pose, which reaches no target.
    assert result.mean_return > evaluate_idle("simreal/Reach-v0", episodes=2)


def evaluate_idle(env_id: str, episodes: int) -> float:
    import gymnasium as gym

    from simreal.rollout import run_episodes

    env = gym.make(env_id)
    rest = np.array([0.0, 0.3, 1.2], np.float32)
    return run_episodes(env, lambda obs: rest, episodes, seed=10_000).mean_return


def test_a_dataset_from_another_task_is_refused(tmp_path: Path, reach_demos: Path) -> None:
    from simreal.learning.bc import BCConfig, DatasetError, train_bc

    with pytest.raises(
        DatasetError, match="15 observation and 3 action entries, but the task has 14 and 2"
    ):
        train_bc(
            BCConfig("simreal/Push-v0", "gaussian", epochs=1),
            reach_demos,
            tmp_path / "x",
            progress=False,
        )


def test_dagger_aggregates_learner_states_labelled_by_the_expert(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from simreal.envs.registry import make_expert
    from simreal.learning.bc import BCConfig
    from simreal.learning.dagger import DaggerConfig, dagger, on_policy_error
    from simreal.learning.evaluate import RunPolicy

    bc = BCConfig("simreal/Reach-v0", "gaussian", epochs=10, batch_size=64)
    final = dagger(
        DaggerConfig(bc, iterations=2, episodes=2, beta_decay=0.5), tmp_path, progress=False
    )
    sizes = [pq.read_table(tmp_path / f"round_{i}.parquet").num_rows for i in range(3)]
    assert sizes == [200, 400, 600]  # 2 episodes of 100 steps per round, aggregated
    rounds = json.loads((tmp_path / "dagger.json").read_text())["rounds"]
    assert [r["beta"] for r in rounds] == [1.0, 0.5, 0.25]
    # Labels are the expert's actions on the states visited (here: re-derive one row).
    table = pq.read_table(tmp_path / "round_2.parquet")
    obs = np.array([table.column(f"obs:{k}")[450].as_py() for k in range(15)])
    label = np.array([table.column(f"action:{k}")[450].as_py() for k in range(3)])
    np.testing.assert_allclose(make_expert("simreal/Reach-v0")(obs), label, rtol=1e-6)
    assert np.isfinite(on_policy_error(RunPolicy(final), "simreal/Reach-v0", episodes=1))
