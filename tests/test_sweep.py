"""Randomization-width sweeps: the grid, the folder, resuming after SIGKILL, both backends."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from simreal.sweeps import SweepConfig, SweepError, expand, resolve_dr, run
from simreal.sweeps.store import SweepStore
from tests.conftest import run_cli

TASK = "simreal/CartpoleBalance-v0"
REAL = "simreal/CartpoleBalanceReal-v0"
TINY_PPO = {"ppo": {"n_steps": 32, "batch_size": 64, "n_epochs": 1}}
TIMING = {"train_seconds", "eval_seconds"}


def tiny_config(widths: tuple[float, ...] = (0.0, 1.0), seeds: int = 1, **changes) -> SweepConfig:
    """A sweep small enough for a test: 64 PPO steps per run, 2 evaluation episodes."""
    settings = dict(
        task=TASK,
        widths=widths,
        seeds=seeds,
        steps=64,
        eval_on=(REAL,),
        algos=("ppo",),
        dr=resolve_dr(TASK, ["default"]),
        episodes=2,
        n_envs=2,
        algo_kwargs=TINY_PPO,
    )
    return SweepConfig(**{**settings, **changes})


def read_table(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_grid_crosses_every_axis_with_readable_stable_ids(tmp_path: Path) -> None:
    fit = tmp_path / "fit.yaml"
    fit.write_text(
        yaml.safe_dump(
            {
                "sysid": {"model": "x.xml"},  # a fit.yaml's summary is dropped from the spec
                "terms": [
                    {
                        "param": "joint[hinge].damping",
                        "op": "set",
                        "distribution": "normal",
                        "mean": 0.2,
                        "std": 0.01,
                    }
                ],
            }
        )
    )
    sources = resolve_dr(TASK, ["default", str(fit)])
    assert [s.label for s in sources] == ["default", "fit"]
    assert "sysid" not in sources[1].spec
    config = tiny_config(widths=(0.0, 0.5, 2.0), seeds=2, dr=sources, algos=("ppo", "sac"))
    points = expand(config)
    assert len(points) == 2 * 2 * 3 * 2
    assert points[0].run_id == "ppo_default_all_w0_s0"
    assert len({p.run_id for p in points}) == len(points)
    assert all(p.eval_on == (TASK, REAL) for p in points)
    each = expand(tiny_config(terms="each"))
    default_terms = sources[0].spec["terms"]
    assert len(each) == len(default_terms) * 2
    assert all(len(p.spec["terms"]) == 1 for p in each)
    assert {p.terms for p in each} == {t["param"] for t in default_terms}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"widths": (-0.5,)}, "widths"),
        ({"widths": (1.0, 1.0)}, "twice"),
        ({"widths": ()}, "at least one width"),
        ({"seeds": 0}, "seeds"),
        ({"algos": ("dqn",)}, "unknown algorithm"),
        ({"terms": "some"}, "terms"),
    ],
)
def test_bad_settings_are_refused_with_the_field_named(changes: dict, message: str) -> None:
    with pytest.raises(SweepError, match=message):
        tiny_config(**changes)


def test_a_missing_spec_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SweepError, match="does not exist"):
        resolve_dr(TASK, [str(tmp_path / "nope.yaml")])


def test_sweep_writes_table_plot_and_resumes_without_redoing(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    first = run(tiny_config(), out, progress=False)
    assert (first.total, first.finished, first.failed) == (2, 2, 0)
    rows = read_table(out / "results.csv")
    assert [r["width"] for r in rows] == ["0.0", "1.0"]
    for column in (
        "CartpoleBalance-v0/return",
        "CartpoleBalance-v0/success",
        "CartpoleBalanceReal-v0/return",
        "CartpoleBalanceReal-v0/return_ci95",
    ):
        assert all(float(r[column]) == float(r[column]) for r in rows), column  # not NaN
    assert (out / "transfer.png").stat().st_size > 1000
    assert (out / "runs" / "ppo_default_all_w0_s0" / "policy.json").is_file()
    assert [int(r["env_steps"]) for r in rows] == [64, 64]
    before = (out / "results" / "ppo_default_all_w0_s0.json").stat().st_mtime_ns
    again = run(tiny_config(), out, progress=False)
    assert (again.skipped, again.finished) == (2, 0)
    assert (out / "results" / "ppo_default_all_w0_s0.json").stat().st_mtime_ns == before
    # A wider grid in the same folder is another sweep: refused, with how to go on.
    with pytest.raises(SweepError, match="different sweep.*widths.*Rerun"):
        run(tiny_config(widths=(0.0, 1.0, 2.0)), out, progress=False)


def test_width_changes_the_trained_policy(tmp_path: Path) -> None:
    """Width 0 and width 2 train on different plants: the evaluations differ."""
    summary = run(tiny_config(widths=(0.0, 2.0)), tmp_path / "s", progress=False)
    assert summary.finished == 2
    rows = read_table(tmp_path / "s" / "results.csv")
    assert rows[0]["CartpoleBalance-v0/return"] != rows[1]["CartpoleBalance-v0/return"]


def test_a_folder_of_other_files_or_in_use_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SweepError, match="not empty"):
        SweepStore(tmp_path, tiny_config())
    with SweepStore(tmp_path / "s", tiny_config()), pytest.raises(SweepError, match="running"):
        SweepStore(tmp_path / "s", tiny_config())


SWEEP_ARGS = [
    "sweep",
    "--task",
    TASK,
    "--algo",
    "sac",
    "--steps",
    "300",
    "--seeds",
    "1",
    "--episodes",
    "2",
    "--envs",
    "2",
]


def test_sigkill_at_any_moment_loses_and_doubles_nothing(tmp_path: Path) -> None:
    """Kill -9 the sweep after its first finished run, rerun: every run once, table whole."""
    out = tmp_path / "killed"
    args = [*SWEEP_ARGS, "--widths", "0,0.5,1,2", "--jobs", "2", "--out", str(out)]
    process = subprocess.Popen(
        [sys.executable, "-m", "simreal.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not list((out / "results").glob("*.json")):
        time.sleep(0.2)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    survivors = {p.name: p.read_text() for p in (out / "results").glob("*.json")}
    assert 1 <= len(survivors) < 4
    time.sleep(1.5)  # the killed sweep's workers notice and stop
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert f"{len(survivors)} of 4 runs already finished" in result.stderr
    rows = read_table(out / "results.csv")
    assert sorted(r["run_id"] for r in rows) == sorted(
        f"sac_default_all_w{w}_s0" for w in ("0", "0.5", "1", "2")
    )
    for name, text in survivors.items():  # finished runs were not redone
        assert (out / "results" / name).read_text() == text
    assert not list((out / "results").glob(".*"))  # no temporary files left
    other = run_cli(*SWEEP_ARGS, "--widths", "0,1", "--out", str(out))
    assert other.returncode == 2
    assert "holds a different sweep (it differs in: widths)" in other.stderr
    assert "Traceback" not in other.stderr


def test_cli_bad_input_exits_2_with_one_sentence(tmp_path: Path) -> None:
    cases = [
        (["--widths", "0,abc"], "--widths: 'abc' is not a number"),
        (["--widths", "0,-1"], "--widths: -1 is not a finite number >= 0"),
        (["--task", "simreal/Pendulum-v0"], "unknown env id"),
        (["--eval-on", "simreal/PushReal-v9"], "Did you mean simreal/PushReal-v0"),
        (["--dr", str(tmp_path / "missing.yaml")], "does not exist"),
    ]
    for extra, message in cases:
        args = [*SWEEP_ARGS, "--out", str(tmp_path / "x"), *extra]
        result = run_cli(*args)
        assert result.returncode == 2, (extra, result.stderr)
        assert message in result.stderr, (extra, result.stderr)
        assert "Traceback" not in result.stderr
        assert not (tmp_path / "x").exists()


def test_ray_missing_is_one_sentence_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(SweepError, match=r"pip install 'simreal\[ray\]'.*local process pool"):
        run(tiny_config(), tmp_path / "s", backend="ray", progress=False)
    assert not (tmp_path / "s").exists()


def test_an_unreachable_ray_cluster_is_one_sentence(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    result = run_cli(
        *SWEEP_ARGS,
        "--backend",
        "ray",
        "--ray-address",
        "127.0.0.1:1",
        "--out",
        str(tmp_path / "s"),
    )
    assert result.returncode == 2
    assert "cannot reach the Ray cluster at 127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "s").exists()


@pytest.mark.slow
def test_ray_backend_gives_the_same_table_as_the_local_pool(tmp_path: Path) -> None:
    """CI installs Ray: a small sweep on a local Ray runtime matches the local pool's rows."""
    pytest.importorskip("ray")
    config = tiny_config(widths=(0.0, 1.0))
    run(config, tmp_path / "local", backend="local", jobs=2, progress=False)
    summary = run(config, tmp_path / "ray", backend="ray", progress=False)
    assert summary.finished == 2
    local = read_table(tmp_path / "local" / "results.csv")
    remote = read_table(tmp_path / "ray" / "results.csv")
    strip = [{k: v for k, v in r.items() if k not in TIMING} for r in local]
    assert [{k: v for k, v in r.items() if k not in TIMING} for r in remote] == strip
    record = json.loads((tmp_path / "ray" / "sweep.json").read_text())
    assert record["widths"] == [0.0, 1.0]


def test_bc_learner_clones_the_expert_demonstrating_under_each_width(tmp_path: Path) -> None:
    """--algo bc: the expert demonstrates under the run's DR; the clone is evaluated like RL."""
    config = tiny_config(algos=("bc",), steps=2000, algo_kwargs={"bc": {"epochs": 100}})
    summary = run(config, tmp_path / "bc", progress=False)
    assert (summary.finished, summary.failed) == (2, 0)
    rows = read_table(tmp_path / "bc" / "results.csv")
    assert [r["algo"] for r in rows] == ["bc", "bc"]
    runs = tmp_path / "bc" / "runs"
    import pyarrow.parquet as pq

    demos = [pq.read_table(runs / f"bc_default_all_w{w}_s0" / "demos.parquet") for w in (0, 1)]
    assert all(d.num_rows == 2000 for d in demos)  # four 500-step episodes of the cart-pole
    assert [int(r["env_steps"]) for r in rows] == [2000, 2000]  # the demonstrated steps
    assert demos[0].column("action:0") != demos[1].column("action:0")  # other plant, other demo
    # The expert balances (500); holding still scores 79; the clone of its demonstrations:
    assert float(rows[0]["CartpoleBalance-v0/return"]) > 200


def test_without_a_terminal_progress_is_plain_lines(tmp_path: Path) -> None:
    args = ["sweep", "--task", TASK, "--algo", "ppo", "--steps", "64", "--widths", "0",
            "--seeds", "1", "--episodes", "1", "--envs", "2"]  # fmt: skip
    done = run_cli(*args, "--out", str(tmp_path / "s"))
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr + done.stdout and "\x1b" not in done.stderr + done.stdout
    assert "ppo_default_all_w0_s0: CartpoleBalanceReal-v0 return" in done.stdout
    rows = read_table(tmp_path / "s" / "results.csv")
    assert [int(r["env_steps"]) for r in rows] == [64]  # PPO's 2048-step rollout cut to fit


def test_a_bcrl_run_clones_the_expert_then_fine_tunes_the_clone_with_its_demos(
    tmp_path: Path,
) -> None:
    tiny = {"demo_steps": 500, "bc": {"epochs": 2, "hidden": [16]}, "critic_warmup": 20,
            "utd": 1, "algo_kwargs": {"batch_size": 32, "learning_starts": 20}}  # fmt: skip
    out = tmp_path / "sweep"
    run(tiny_config(widths=(1.0,), algos=("bcrl",), steps=80, algo_kwargs={"bcrl": tiny}),
        out, progress=False)  # fmt: skip
    (row,) = read_table(out / "results.csv")
    folder = out / "runs" / "bcrl_default_all_w1_s0"
    assert int(row["env_steps"]) == 500 + 80  # one 500-step episode demonstrated, 80 SAC steps
    assert json.loads((folder / "config.json").read_text())["algo"] == "sac"
    ran = json.loads((folder / "finetune.json").read_text())["ran"]
    assert ran["env_steps"] == 80
    assert ran["demo_transitions"] == 499 and ran["demo_draws"] > 0
    assert (folder / "bc" / "policy.json").is_file()
    # The row scores the clone as well as its fine-tune, on the same evaluation episodes.
    from simreal.learning.evaluate import evaluate

    for env_id in (TASK, REAL):
        name = env_id.rpartition("/")[2]
        clone = evaluate(folder / "bc", env_id, episodes=2, seed=10_000)
        tuned = evaluate(folder, env_id, episodes=2, seed=10_000)
        assert float(row[f"clone:{name}/return"]) == pytest.approx(clone.mean_return)
        assert float(row[f"clone:{name}/success"]) == pytest.approx(clone.success_rate)
        assert float(row[f"{name}/return"]) == pytest.approx(tuned.mean_return)


def test_a_bcppo_run_fine_tunes_the_clone_with_ppo_on_the_tasks_ppo_settings(
    tmp_path: Path,
) -> None:
    task, real = "simreal/Reach-v0", "simreal/ReachReal-v0"
    tiny = {"demo_steps": 100, "bc": {"epochs": 2, "hidden": [16]}, "critic_warmup": 0}
    config = tiny_config(task=task, eval_on=(real,), dr=resolve_dr(task, ["default"]),
                         widths=(0.5,), algos=("bcppo",), steps=64,
                         algo_kwargs={"bcppo": tiny})  # fmt: skip
    out = tmp_path / "sweep"
    run(config, out, progress=False)
    (row,) = read_table(out / "results.csv")
    folder = out / "runs" / "bcppo_default_all_w0.5_s0"
    assert int(row["env_steps"]) == 100 + 64  # one 100-step episode demonstrated, 64 PPO steps
    document = json.loads((folder / "finetune.json").read_text())
    assert document["ran"]["env_steps"] == 64
    assert document["ran"]["actor_updates"] >= 1 and document["ran"]["policy_changed"]
    assert document["width"] == 0.5 and document["dr"] == config.dr[0].spec
    # PPO's settings come from Reach's train.yaml, as simreal finetune reads them.
    assert document["algo_kwargs"] == {"n_steps": 256, "batch_size": 1024, "n_epochs": 5}
    from simreal.learning.evaluate import evaluate

    clone = evaluate(folder / "bc", real, episodes=2, seed=10_000)
    tuned = evaluate(folder, real, episodes=2, seed=10_000)
    assert float(row["clone:ReachReal-v0/return"]) == pytest.approx(clone.mean_return)
    assert float(row["ReachReal-v0/return"]) == pytest.approx(tuned.mean_return)
    assert clone.mean_return != tuned.mean_return  # the fine-tune changed the policy


def test_a_bcppo_learners_settings_come_from_the_task_and_simreal_finetune(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from simreal.learning import defaults
    from simreal.learning.defaults import PPO_CRITIC_WARMUP, learner_kwargs

    # Reach: its train.yaml's bcppo entry over its ppo settings.
    assert learner_kwargs("simreal/Reach-v0", "bcppo") == {
        "algo_kwargs": {"n_steps": 256, "batch_size": 1024, "n_epochs": 5},
        "critic_warmup": 16384,
        "demo_steps": 10000,
        "bc": {"epochs": 100, "hidden": [256, 256]},
    }
    # A task whose ppo entry sets a network: the clone's network is kept, and the warm-up
    # is simreal finetune's.
    yaml_defaults = {**defaults.FALLBACK, "algo_kwargs": {
        "ppo": {"n_steps": 64, "policy_kwargs": {"net_arch": [8]}}}}  # fmt: skip
    monkeypatch.setattr(defaults, "training_defaults", lambda env_id: yaml_defaults)
    assert learner_kwargs(TASK, "bcppo") == {
        "algo_kwargs": {"n_steps": 64},
        "critic_warmup": PPO_CRITIC_WARMUP,
    }
