"""``simreal finetune --algo sac``: episode budgets, resume after Ctrl-C and kills, bad input.

The target is Reach's real proxy (episodes of 100 steps). Episodes are counted
below SB3: by the vector env that training steps (:class:`CountingVecEnv`) and
by the target env class itself (:class:`TargetEpisodes`, evaluation included).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from simreal.cli import main
from simreal.learning.checkpoint import checkpoint_tensors, latest_checkpoint
from simreal.learning.collect import collect
from simreal.learning.policy_store import load_model
from tests.conftest import interrupt_after_checkpoint
from tests.test_finetune import CountingVecEnv

TASK = "simreal/Reach-v0"
TARGET = "simreal/ReachReal-v0"
ROOT = Path(__file__).parents[1]
# One torch thread: on a shared 2-core machine, two threads per process make SAC 5x slower.
ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> object:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def reach(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """4 expert episodes of Reach, their Gaussian clone, and a dataset of another task."""
    from simreal.learning.bc import BCConfig, train_bc

    folder = tmp_path_factory.mktemp("reach")
    demos = collect(TASK, "expert", episodes=4, out=folder / "reach.parquet")
    bc = train_bc(
        BCConfig(TASK, "gaussian", epochs=5, hidden=(32, 32)), demos, folder / "bc", progress=False
    )
    pendulum = collect("simreal/PendulumSwingup-v0", "expert", episodes=1,
                       out=folder / "pendulum.parquet")  # fmt: skip
    return {"demos": demos, "bc": bc, "pendulum": pendulum, "folder": folder}


def sac(policy: Path, out: Path, *flags: str) -> list[str]:
    """``simreal finetune --algo sac`` arguments on the target."""
    return ["finetune", "--algo", "sac", "--policy", str(policy), "--task", TARGET, *flags,
            "--out", str(out)]  # fmt: skip


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``simreal <args>`` in a subprocess, as a user would run it."""
    return subprocess.run([sys.executable, "-m", "simreal.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env=ONE_THREAD, timeout=300)  # fmt: skip


@pytest.fixture
def training_envs(monkeypatch: pytest.MonkeyPatch) -> list[CountingVecEnv]:
    """Every vector env the fine-tune builds, wrapped in a counter of its episodes."""
    import simreal.vector.make_vec as module

    made: list[CountingVecEnv] = []
    original = module.make_vec

    def make_counted(*args: object, **kwargs: object) -> CountingVecEnv:
        made.append(CountingVecEnv(original(*args, **kwargs)))
        return made[-1]

    monkeypatch.setattr(module, "make_vec", make_counted)
    return made


class TargetEpisodes:
    """Episodes that took a step and steps taken on any env of a class, counted in its methods.

    Training and evaluation alike: whatever resets and steps the target counts.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, cls: type) -> None:
        self.episodes = 0
        self.steps = 0
        fresh: set[int] = set()
        reset, step = cls.reset, cls.step

        def counted_reset(env: object, *args: object, **kwargs: object) -> object:
            fresh.add(id(env))
            return reset(env, *args, **kwargs)

        def counted_step(env: object, action: object) -> object:
            if id(env) in fresh:
                fresh.discard(id(env))
                self.episodes += 1
            self.steps += 1
            return step(env, action)

        monkeypatch.setattr(cls, "reset", counted_reset)
        monkeypatch.setattr(cls, "step", counted_step)


@pytest.fixture
def target(monkeypatch: pytest.MonkeyPatch) -> TargetEpisodes:
    from simreal.envs.reach.real import ReachRealEnv

    return TargetEpisodes(monkeypatch, ReachRealEnv)


def journal(out: Path) -> list[str]:
    path = out / "target_episodes.txt"
    return path.read_text().splitlines() if path.is_file() else []


def record(out: Path) -> dict:
    return json.loads((out / "finetune.json").read_text())


def test_an_episode_budget_on_the_target_holds_and_evaluation_is_counted_apart(
    reach: dict[str, Path],
    tmp_path: Path,
    training_envs: list[CountingVecEnv],
    target: TargetEpisodes,
    capsys: pytest.CaptureFixture,
) -> None:
    out = tmp_path / "target"
    assert main(sac(reach["bc"], out, "--episodes", "3", "--eval-episodes", "2")) == 0
    # Training: 3 episodes of 100 steps; evaluation: 2 before and 2 after, apart.
    assert [(env.episodes, env.steps) for env in training_envs] == [(3, 300)]
    assert (target.episodes, target.steps) == (3 + 2 + 2, 300 + 400)
    assert journal(out) == ["episode 1", "episode 2", "episode 3"]
    document = record(out)
    assert document["ran"]["training_episodes"] == 3 and document["ran"]["env_steps"] == 300
    evaluation = document["evaluation"]
    assert evaluation["before"]["episodes"] == 2 and evaluation["after"]["episodes"] == 2
    printed = capsys.readouterr().out
    assert "300 env steps in 3 training episodes" in printed
    assert "evaluation: 2 episodes before and 2 after, apart" in printed


def test_an_episode_budget_stops_when_its_episodes_end_early(
    tmp_path: Path, training_envs: list[CountingVecEnv]
) -> None:
    from simreal.learning.bc import BCConfig, train_bc

    task = "simreal/CartpoleBalance-v0"
    demos = collect(task, "expert", episodes=1, out=tmp_path / "cartpole.parquet")
    bc = train_bc(BCConfig(task, "gaussian", epochs=1, hidden=(16,)), demos, tmp_path / "bc",
                  progress=False)  # fmt: skip
    out = tmp_path / "ft"
    # The pole falls in about 40 steps under random actions (SAC's first 100 steps) and
    # under an actor with the std of the whole action range.
    args = ["finetune", "--algo", "sac", "--policy", str(bc), "--task",
            "simreal/CartpoleBalanceReal-v0", "--episodes", "4", "--init-std", "1",
            "--eval-episodes", "0", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    (env,) = training_envs
    # 4 episodes in fewer steps than one episode's time limit (500), the budget's bound 2000.
    assert env.episodes == 4 and env.steps < 500
    ran = record(out)["ran"]
    assert (ran["training_episodes"], ran["finished_episodes"]) == (4, 4)
    assert ran["env_steps"] == env.steps
    assert len(journal(out)) == 4


def test_ctrl_c_mid_training_checkpoints_and_the_same_command_resumes_to_the_budget(
    reach: dict[str, Path],
    tmp_path: Path,
    training_envs: list[CountingVecEnv],
    target: TargetEpisodes,
    capsys: pytest.CaptureFixture,
) -> None:
    run = tmp_path / "r"
    args = sac(reach["bc"], run, "--steps", "300", "--checkpoint-every", "50",
               "--eval-episodes", "2", "--critic-warmup", "20")  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "simreal.cli", *args], cwd=tmp_path,
                               env=ONE_THREAD, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)  # fmt: skip
    interrupt_after_checkpoint(process, run / "checkpoints", 100, timeout=120)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr, stderr
    (line,) = [line for line in stderr.splitlines() if "interrupted" in line]
    assert line.endswith("rerun the same command to resume.")
    steps = int(line.split("checkpoint at ")[1].split()[0])
    assert 100 <= steps < 300
    assert latest_checkpoint(run / "checkpoints").name == f"step-{steps:09d}"
    before = json.loads((run / "evaluation_before.json").read_text())
    assert main(args) == 0
    err = capsys.readouterr().err
    assert f"resuming at {steps} steps" in err
    assert "evaluation before fine-tuning: kept from" in err
    # The rerun steps the target only for the rest of the budget and the evaluation after.
    assert [env.steps for env in training_envs] == [300 - steps]
    assert target.steps == 300 - steps + 2 * 100
    assert record(run)["ran"]["env_steps"] == 300
    assert record(run)["evaluation"]["before"] == before
    assert json.loads((run / "config.json").read_text())["steps"] == 300
    assert load_model(run, "sac").num_timesteps == 300
    with np.load(latest_checkpoint(run / "checkpoints") / "replay.npz") as replay:
        assert int(replay["pos"]) == 300  # every step once: none lost, none doubled
    # The Q-filtered BC step's Adam went on from its checkpointed moments: it counts every
    # BC step of both parts of the run, 2 per env step after the warm-up.
    adam = checkpoint_tensors(latest_checkpoint(run / "checkpoints"))["qfilter_bc"]["optimizer"]
    assert int(adam["state"][0]["step"]) == record(run)["ran"]["qfilter_bc_updates"] == 2 * 280


KILLED = """
import os, signal, threading, time
from pathlib import Path
from simreal.cli import main
from simreal.learning.checkpoint import latest_checkpoint

out = Path({out!r})

def ready():
    journal = out / "target_episodes.txt"
    if {lines}:
        return journal.is_file() and len(journal.read_text().splitlines()) >= {lines}
    latest = latest_checkpoint(out / "checkpoints")  # only the latest is kept
    return latest is not None and int(latest.name.split("-")[1]) >= {at}

def kill():
    while not ready():
        time.sleep(0.002)
    os.kill(os.getpid(), signal.SIGKILL)

threading.Thread(target=kill, daemon=True).start()
main({args!r})
"""


@pytest.mark.parametrize(
    ("at", "lines"),
    [(150, 0), (0, 3)],
    ids=["after-the-checkpoint-at-150", "as-the-last-episode-starts"],
)
def test_killed_mid_training_the_rerun_counts_the_episodes_spent_before(
    reach: dict[str, Path],
    tmp_path: Path,
    training_envs: list[CountingVecEnv],
    capsys: pytest.CaptureFixture,
    at: int,
    lines: int,
) -> None:
    out = tmp_path / "killed"
    args = sac(reach["bc"], out, "--episodes", "3", "--checkpoint-every", "50",
               "--eval-episodes", "0")  # fmt: skip
    script = textwrap.dedent(KILLED.format(out=str(out), at=at, lines=lines, args=args))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, env=ONE_THREAD, timeout=300)  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr
    spent = len(journal(out))
    checkpoint = int(latest_checkpoint(out / "checkpoints").name.split("-")[1])
    # An episode starts at steps 0, 100 and 200, each on the journal as it takes its first step.
    assert spent == checkpoint // 100 + 1 or (lines and spent == 3), (spent, checkpoint)
    assert main(args) == 0
    assert f"resuming at {checkpoint} steps" in capsys.readouterr().err
    (env,) = training_envs
    # The resumed run starts fresh episodes, only as many as the budget has left.
    assert env.episodes == 3 - spent and env.steps == 100 * (3 - spent)
    assert len(journal(out)) == 3
    ran = record(out)["ran"]
    assert ran["training_episodes"] == 3
    assert ran["env_steps"] == checkpoint + env.steps <= 300


@pytest.fixture(scope="module")
def finished(reach: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The arguments of a finished fine-tune of 2 episodes on the target."""
    out = tmp_path_factory.mktemp("finished") / "ft"
    args = sac(reach["bc"], out, "--episodes", "2", "--eval-episodes", "1")
    assert main(args) == 0
    return args


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_finished_finetune_rerun_changes_nothing_and_says_so(
    finished: list[str],
    training_envs: list[CountingVecEnv],
    target: TargetEpisodes,
    capsys: pytest.CaptureFixture,
) -> None:
    out = Path(finished[-1])
    capsys.readouterr()
    files = snapshot(out)
    assert main(finished) == 0
    assert snapshot(out) == files
    assert training_envs == [] and target.episodes == 0  # no episode on the target
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and "already fine-tuned" in printed[0], printed
    assert "200 env steps in 2 training episodes" in printed[0]


def test_a_finetune_recorded_before_a_setting_existed_counts_as_its_default(
    finished: list[str], target: TargetEpisodes, capsys: pytest.CaptureFixture
) -> None:
    out = Path(finished[-1])
    written = (out / "finetune.json").read_text()
    document = json.loads(written)
    del document["settings"]["bc_anchor"]  # as an older simreal wrote it: it ran without one
    (out / "finetune.json").write_text(json.dumps(document))
    try:
        capsys.readouterr()
        assert main(finished) == 0
        assert target.episodes == 0 and "already fine-tuned" in capsys.readouterr().out
        message = refused([*finished[:-2], "--bc-anchor", "0.4", *finished[-2:]], capsys)
        assert "(it differs in: bc_anchor)" in message
    finally:
        (out / "finetune.json").write_text(written)


def refused(args: list[str], capsys: pytest.CaptureFixture) -> str:
    """The one-line error of ``simreal <args>``, which must exit with 2."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("simreal finetune: error: ") and "Traceback" not in err
    return err.removeprefix("simreal finetune: error: ")


@pytest.mark.parametrize("task", ["simreal/Push-v0", "simreal/PendulumSwingup-v0"])
def test_a_policy_of_other_spaces_is_refused_before_anything_runs(
    reach: dict[str, Path], tmp_path: Path, task: str, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "out"
    args = ["finetune", "--algo", "sac", "--policy", str(reach["bc"]), "--task", task,
            "--episodes", "3", "--out", str(out)]  # fmt: skip
    message = refused(args, capsys)
    assert message.startswith(f"--policy: {reach['bc']} holds a policy for observations")
    assert message.endswith("fine-tune a policy of this task (or its real proxy).")
    assert not out.exists()


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (("--episodes", "0"), "--episodes must be between 1 and --max-episodes (50), got 0;"),
        (("--episodes", "51"), "--episodes must be between 1 and --max-episodes (50), got 51;"),
        (("--utd", "0"), "--utd must be >= 1"),
        (("--demo-fraction", "1"), "--demo-fraction must be in [0, 1)"),
        (("--demos", "missing.parquet"), "--demos: missing.parquet is not a file"),
        (("--target-entropy", "wide"), "--target-entropy must be clone, auto or a finite"),
        (("--target-entropy", "nan"), "--target-entropy must be clone, auto or a finite"),
        (("--bc-anchor", "-1"), "--bc-anchor must be a number >= 0 (0: off), got -1.0."),
    ],
    ids=[
        "episodes-0",
        "episodes-51",
        "utd-0",
        "demo-fraction-1",
        "demos-missing",
        "te-word",
        "te-nan",
        "anchor-negative",
    ],
)
def test_bad_flags_are_refused_in_one_sentence(
    reach: dict[str, Path],
    tmp_path: Path,
    flags: tuple[str, ...],
    expected: str,
    capsys: pytest.CaptureFixture,
) -> None:
    out = tmp_path / "out"
    message = refused(sac(reach["bc"], out, *flags), capsys)
    assert message.startswith(expected), message
    assert not out.exists()


@pytest.mark.parametrize("head", ["tokens", "flow"])
def test_a_bc_run_without_a_gaussian_actor_is_refused_naming_the_heads_that_can(
    reach: dict[str, Path], tmp_path: Path, head: str, capsys: pytest.CaptureFixture
) -> None:
    from simreal.learning.bc import BCConfig, train_bc

    config = BCConfig(TASK, head, epochs=1, hidden=(8,), bins=8, horizon=2, execute=1,
                      flow_steps=2)  # fmt: skip
    run = train_bc(config, reach["demos"], tmp_path / head, progress=False)
    out = tmp_path / "out"
    message = refused(sac(run, out, "--episodes", "2"), capsys)
    assert message.startswith(f"--policy: {run} is a BC run of the {head!r} head")
    assert "fine-tunes the gaussian head (clone with --head gaussian)" in message
    assert not out.exists()


def test_demonstrations_of_another_task_are_refused(
    reach: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "out"
    message = refused(sac(reach["bc"], out, "--demos", str(reach["pendulum"])), capsys)
    assert message == (
        f"--demos: {reach['pendulum']} holds demonstrations of simreal/PendulumSwingup-v0, "
        f"not {TARGET}; collect them on this task."
    )
    assert not out.exists()


def test_a_source_whose_own_dataset_is_gone_is_refused_naming_demos(
    reach: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    import shutil

    moved = shutil.copytree(reach["bc"], tmp_path / "bc")
    config = json.loads((moved / "config.json").read_text())
    (moved / "config.json").write_text(json.dumps({**config, "data": "gone.parquet"}))
    out = tmp_path / "out"
    message = refused(sac(moved, out, "--episodes", "2"), capsys)
    assert message.startswith(f"--policy: {moved} was cloned from gone.parquet")
    assert message.endswith("give --demos (a simreal collect dataset of the task).")
    assert not out.exists()


def test_an_out_with_a_finetune_of_other_settings_is_refused_and_left_alone(
    finished: list[str], capsys: pytest.CaptureFixture
) -> None:
    out = Path(finished[-1])
    files = snapshot(out)
    message = refused([*finished[:-2], "--utd", "1", *finished[-2:]], capsys)
    assert message == (
        f"--out: {out} holds another fine-tune (it differs in: utd); choose another --out or "
        "delete it."
    )
    assert snapshot(out) == files


def test_a_budget_spent_before_the_first_checkpoint_is_refused_and_left_alone(
    finished: list[str], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    # Killed after both episodes had started, before any checkpoint: nothing to end at.
    out = tmp_path / "spent"
    out.mkdir()
    settings = record(Path(finished[-1]))["settings"]
    (out / "finetune.json").write_text(json.dumps({"settings": settings, "ran": None}))
    (out / "target_episodes.txt").write_text("episode 1\nepisode 2\n")
    files = snapshot(out)
    message = refused([*finished[:-1], str(out)], capsys)
    assert message == (
        f"--out: {out} used 2 of its 2 target episodes before its first checkpoint, which "
        "leaves too few for 1 env(s) to resume; fine-tune into another --out."
    )
    assert snapshot(out) == files


def test_bad_input_exits_2_without_a_traceback_from_the_shell(
    reach: dict[str, Path], tmp_path: Path
) -> None:
    done = cli(*sac(reach["bc"], tmp_path / "out", "--demos", str(reach["pendulum"])),
               cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("simreal finetune: error: --demos: ") and done.stdout == ""
    assert not (tmp_path / "out").exists()


def test_flags_of_the_other_algorithm_are_refused(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    for args, message in (
        (("--utd", "4"), "--utd set(s) --algo sac only; add --algo sac."),
        (("--algo", "sac", "--bc-weight", "0.5"), "--bc-weight set(s) --algo ppo only"),
        (("--no-qfilter-bc",), "--no-qfilter-bc set(s) --algo sac only; add --algo sac."),
        (("--bc-anchor", "0.4"), "--bc-anchor set(s) --algo sac only; add --algo sac."),
    ):
        done = run_cli("finetune", "--policy", str(tmp_path / "none"), "--task",
                       "simreal/Reach-v0", *args, "--out", str(tmp_path / "x"))  # fmt: skip
        assert done.returncode == 2 and message in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "x").exists()


def test_the_entropy_target_the_qfiltered_bc_and_the_anchor_are_set_from_the_command_line(
    reach: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    flags = ("--steps", "200", "--critic-warmup", "50", "--eval-episodes", "0")
    runs = {"default": (), "set": ("--target-entropy", "-3.5", "--no-qfilter-bc"),
            "anchor": ("--bc-anchor", "0.4", "--no-qfilter-bc")}  # fmt: skip
    ran = {}
    for name, extra in runs.items():
        assert main(sac(reach["bc"], tmp_path / name, *flags, *extra)) == 0
        ran[name] = record(tmp_path / name)["ran"]
    err = capsys.readouterr().err
    assert "(the started actor's, on the demonstration states)" in err
    assert "target entropy -3.50 nats (as given)" in err
    assert ran["set"]["target_entropy"] == -3.5 and ran["set"]["qfilter_bc_updates"] == 0
    assert ran["default"]["target_entropy"] != -3.5 and ran["default"]["qfilter_bc_updates"] > 0
    # The anchor rides on every actor step after the 50-step warm-up: 150 steps x utd 2.
    assert ran["default"]["bc_anchor_updates"] == ran["set"]["bc_anchor_updates"] == 0
    anchored = ran["anchor"]
    assert (
        anchored["bc_anchor_updates"]
        == 300
        == (anchored["gradient_steps"] - anchored["updates_actor_frozen"])
    )
