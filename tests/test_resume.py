"""Resume resumes: all training state in one checkpoint, SIGKILL and Ctrl-C during a run."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from simreal.learning.checkpoint import latest_checkpoint
from simreal.learning.evaluate import RunPolicy
from simreal.learning.train import RunError, TrainConfig, train, trained_steps
from tests.conftest import interrupt_after_checkpoint, run_cli

TASK = "simreal/PendulumSwingup-v0"
SAC = {"learning_starts": 50, "batch_size": 32, "policy_kwargs": {"net_arch": [16]}}


def sac_config(steps: int, kwargs: dict | None = None, seed: int = 3) -> TrainConfig:
    return TrainConfig(TASK, "sac", steps, seed=seed, n_envs=2, checkpoint_every=100,
                       algo_kwargs=SAC if kwargs is None else kwargs)  # fmt: skip


def replay(checkpoint: Path) -> dict[str, np.ndarray]:
    with np.load(checkpoint / "replay.npz", allow_pickle=False) as data:
        return {k: np.array(data[k]) for k in data.files}


def test_settings_edited_by_sb3_do_not_make_a_run_foreign(tmp_path: Path) -> None:
    """SAC adds use_sde to the policy_kwargs it is given; a run's record must not see it."""
    kwargs = copy.deepcopy(SAC)
    train(sac_config(16, kwargs), tmp_path / "a", progress=False)
    assert kwargs == SAC  # untouched: the next run of a sweep shares this dict
    train(sac_config(16, kwargs), tmp_path / "b", progress=False)
    # A rerun in a fresh process builds its settings from JSON: the same run, resumed.
    train(sac_config(32, json.loads(json.dumps(SAC))), tmp_path / "b", progress=False)
    assert trained_steps(tmp_path / "b") == 32
    with pytest.raises(RunError, match="holds another run.*algo_kwargs"):
        train(sac_config(32, {**SAC, "batch_size": 16}), tmp_path / "b", progress=False)


def test_a_checkpoint_holds_the_replay_buffer_and_resumes_with_it(tmp_path: Path) -> None:
    run = tmp_path / "run"
    train(sac_config(200), run, progress=False)
    first = replay(latest_checkpoint(run / "checkpoints"))
    assert int(first["pos"]) * 2 == 200 and len(first["observations"]) == 100
    train(sac_config(300), run, progress=False)
    checkpoint = latest_checkpoint(run / "checkpoints")
    assert checkpoint.name == "step-000000300"
    second = replay(checkpoint)
    assert int(second["pos"]) * 2 == 300  # the old transitions and the new ones
    np.testing.assert_array_equal(second["observations"][:100], first["observations"])
    np.testing.assert_array_equal(second["actions"][:100], first["actions"])
    assert sorted(p.name for p in checkpoint.iterdir()) == [
        "obs_norm.npz",
        "policy.json",
        "policy.pt",
        "replay.npz",
        "rng.npz",
        "state.json",
    ]
    assert [p.name for p in (run / "checkpoints").iterdir()] == [checkpoint.name]


KILLED_RUN = """
import os, signal, threading, time
from pathlib import Path
from tests.test_resume import sac_config
from simreal.learning.checkpoint import latest_checkpoint
from simreal.learning.train import train

out = Path({out!r})

def checkpointed():  # only the latest checkpoint is kept
    latest = latest_checkpoint(out / "checkpoints")
    return int(latest.name.split("-")[1]) if latest is not None else 0

def kill_after_checkpoint():
    while checkpointed() < {kill_at}:
        time.sleep(0.005)
    os.kill(os.getpid(), signal.SIGKILL)

threading.Thread(target=kill_after_checkpoint, daemon=True).start()
train(sac_config({steps}), out, progress=False)
"""


@pytest.mark.slow
def test_sac_killed_during_a_run_resumes_like_an_uninterrupted_run(tmp_path: Path) -> None:
    """SIGKILL in a subprocess right after a checkpoint; the rerun completes the run.

    Faster sibling: test_a_checkpoint_holds_the_replay_buffer_and_resumes_with_it.
    """
    steps, kill_at = 600, 300
    uninterrupted = train(sac_config(steps), tmp_path / "whole", progress=False)
    killed = tmp_path / "killed"
    script = textwrap.dedent(KILLED_RUN.format(out=str(killed), kill_at=kill_at, steps=steps))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, cwd=Path(__file__).parents[1])  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr
    at_kill = latest_checkpoint(killed / "checkpoints")
    assert at_kill is not None and int(at_kill.name.split("-")[1]) >= kill_at
    before = replay(at_kill)
    train(sac_config(steps), killed, progress=False)
    assert trained_steps(killed) == trained_steps(uninterrupted) == steps
    after = replay(latest_checkpoint(killed / "checkpoints"))
    kept = len(before["observations"])
    assert int(after["pos"]) * 2 == steps  # nothing lost, nothing doubled
    np.testing.assert_array_equal(after["observations"][:kept], before["observations"])
    # Up to the kill both runs are the same computation: the same transitions.
    whole = replay(latest_checkpoint(uninterrupted / "checkpoints"))
    np.testing.assert_allclose(whole["observations"][:kept], before["observations"], atol=1e-5)
    # The resumed policy is closer to the uninterrupted one than another seed's run is.
    other = train(sac_config(steps, seed=4), tmp_path / "other", progress=False)
    states = whole["observations"].reshape(-1, 3)
    actions = {run: RunPolicy(run)(states) for run in (uninterrupted, killed, other)}
    resumed_gap = np.abs(actions[killed] - actions[uninterrupted]).mean()
    seed_gap = np.abs(actions[other] - actions[uninterrupted]).mean()
    assert resumed_gap < 0.5 * seed_gap, (resumed_gap, seed_gap)


def test_ctrl_c_on_train_writes_a_checkpoint_and_the_rerun_resumes(tmp_path: Path) -> None:
    args = ["train", "--task", TASK, "--algo", "sac", "--envs", "2", "--checkpoint-every",
            "200", "--out", "r"]  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "simreal.cli", *args, "--steps", "4000"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    interrupt_after_checkpoint(process, tmp_path / "r/checkpoints", 800)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "\r" not in stderr and "\x1b" not in stderr, stderr
    assert "400/4000 env steps" in stderr  # plain progress lines without a terminal
    lines = [line for line in stderr.splitlines() if "interrupted" in line]
    assert len(lines) == 1, stderr
    steps = int(lines[0].split("checkpoint at ")[1].split()[0])
    assert steps >= 800
    assert latest_checkpoint(tmp_path / "r/checkpoints").name == f"step-{steps:09d}"
    rerun = run_cli(*args, "--steps", str(steps + 2), cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert f"resuming at {steps} steps" in rerun.stderr
    assert trained_steps(tmp_path / "r") == steps + 2


SWEEP = ["sweep", "--task", TASK, "--widths", "0,1", "--seeds", "1", "--steps", "1200",
         "--episodes", "1", "--envs", "4", "--jobs", "1"]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL])
def test_a_sweep_stopped_during_a_run_resumes_it(tmp_path: Path, stop: signal.Signals) -> None:
    """The pendulum's train.yaml gives SAC policy_kwargs, which SB3 edits in place."""
    out = tmp_path / "sweep"
    process = subprocess.Popen(
        [sys.executable, "-m", "simreal.cli", *SWEEP, "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # Ctrl-C in a terminal signals the whole process group
    )
    second = out / "runs" / "sac_default_all_w1_s0" / "checkpoints"
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline and latest_checkpoint(second) is None:
        time.sleep(0.05)
    assert latest_checkpoint(second) is not None, "the second run never checkpointed"
    os.killpg(process.pid, stop)
    _, stderr = process.communicate(timeout=120)
    if stop == signal.SIGINT:
        assert process.returncode == 130 and "Traceback" not in stderr, stderr
    assert len(list((out / "results").glob("*.json"))) == 1
    rerun = run_cli(*SWEEP, "--out", str(out))
    assert rerun.returncode == 0, rerun.stderr
    assert "resuming at" in rerun.stderr and "1 of 2 runs already finished" in rerun.stderr
    rows = [json.loads(p.read_text()) for p in sorted((out / "results").glob("*.json"))]
    assert [r["env_steps"] for r in rows] == [1200, 1200]


def test_a_pickled_checkpoint_of_an_older_simreal_is_not_resumed(tmp_path: Path) -> None:
    from tests.test_policy_store import hostile_policy_zip

    config = sac_config(32)
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "config.json").write_text(json.dumps(config.__dict__))
    hostile_policy_zip(tmp_path / "checkpoints" / "policy.zip", tmp_path / "pwned")
    with pytest.raises(RunError, match="pickled checkpoint of an older simreal"):
        train(config, tmp_path, progress=False)
    assert not (tmp_path / "pwned").exists()
