"""Every command takes any Gymnasium id, or ``module:EnvId`` of the user's own env.

A simreal-only feature (an expert, a default DR spec) asked of another env is one
sentence and exit code 2, before any work.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.user_plant import MAX_EPISODE_STEPS

USER_ID = "tests.user_plant:UserPlant-v0"


def assert_clean_error(result, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    message = result.stderr.strip().splitlines()[-1]
    for fragment in fragments:
        assert fragment in message, message


@pytest.fixture(scope="module")
def user_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PPO run trained on the user's own env, named ``module:EnvId``."""
    out = tmp_path_factory.mktemp("user") / "run"
    result = run_cli("train", "--task", USER_ID, "--steps", "64", "--envs", "2", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_eval_expert_on_a_gymnasium_env_names_the_missing_expert(tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    result = run_cli(
        "eval", "--policy", "expert", "--on", "InvertedPendulum-v5", "--json", str(out)
    )
    assert_clean_error(result, "--policy expert", "InvertedPendulum-v5", "no expert controller")
    assert not out.exists()


def test_collect_expert_on_a_user_env_names_the_missing_expert(tmp_path: Path) -> None:
    out = tmp_path / "demos.npz"
    result = run_cli("collect", "--task", USER_ID, "--episodes", "1", "--out", str(out))
    assert_clean_error(result, "--policy expert", USER_ID, "no expert controller")
    assert not out.exists()


def test_default_dr_of_a_gymnasium_env_says_to_give_a_spec_file(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = run_cli("train", "--task", "InvertedPendulum-v5", "--dr", "default", "--out", str(out))
    assert_clean_error(result, "--dr default", "no default DR spec", "--dr spec.yaml")
    assert not out.exists()


@pytest.mark.parametrize(
    ("env_id", "fragments"),
    [
        ("InvertedPendulm-v5", ("--on", "Did you mean InvertedPendulum-v5")),
        ("no_such_package:Robot-v0", ("--on", "cannot import 'no_such_package'")),
        ("tests.user_plant:Robot-v0", ("--on", "'Robot-v0'", "after importing")),
        (":Robot-v0", ("--on", "module:EnvId")),
    ],
)
def test_bad_env_ids_are_one_sentence(env_id: str, fragments: tuple[str, ...]) -> None:
    result = run_cli("eval", "--policy", "expert", "--on", env_id)
    assert_clean_error(result, *fragments)


def test_a_user_env_trains_and_evaluates_through_module_form(
    user_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "eval.json"
    result = run_cli(
        "eval", "--policy", str(user_run), "--on", USER_ID, "--on", "InvertedPendulum-v5",
        "--episodes", "3", "--json", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = {row["env_id"]: row for row in json.loads(out.read_text())}
    assert set(rows) == {USER_ID, "InvertedPendulum-v5"}
    # The module's registration is in effect: its 30-step limit caps the return (1 per step).
    assert 0 < rows[USER_ID]["mean_return"] <= MAX_EPISODE_STEPS
    assert json.loads((user_run / "config.json").read_text())["task"] == USER_ID


def test_finetune_counts_episodes_of_a_user_env(user_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "tuned"
    result = run_cli(
        "finetune", "--policy", str(user_run), "--task", USER_ID, "--episodes", "2",
        "--envs", "2", "--critic-warmup", "0", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (out / "config.json").is_file()


def test_a_sweep_runs_a_user_env_in_its_worker_processes(tmp_path: Path) -> None:
    spec = tmp_path / "dr.yaml"
    spec.write_text(
        "terms:\n  - param: body[pole].mass\n    op: scale\n    distribution: uniform\n"
        "    low: 0.8\n    high: 1.2\n"
    )
    out = tmp_path / "sweep"
    result = run_cli(
        "sweep", "--task", USER_ID, "--eval-on", "InvertedPendulum-v5", "--widths", "0",
        "--seeds", "1", "--steps", "64", "--algo", "ppo", "--dr", str(spec), "--episodes", "2",
        "--jobs", "1", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with (out / "results.csv").open(newline="") as f:
        (row,) = list(csv.DictReader(f))
    # The user env's 30-step limit holds in the spawned worker that imported its module.
    assert 0 < float(row[f"{USER_ID}/return"]) <= MAX_EPISODE_STEPS
    assert float(row["InvertedPendulum-v5/return"]) > 0


def test_record_takes_a_user_env_and_refuses_an_env_without_a_mujoco_model(
    tmp_path: Path,
) -> None:
    log = tmp_path / "log.csv"
    result = run_cli("record", "--task", USER_ID, "--duration", "1", "--out", str(log))
    assert result.returncode == 0, result.stderr
    assert log.read_text().count("\n") > 2
    bad = tmp_path / "bad.csv"
    result = run_cli("record", "--task", "CartPole-v1", "--out", str(bad))
    assert_clean_error(result, "--task", "CartPole-v1", "no MuJoCo model")
    assert not bad.exists()
