"""benchmarks/time_to_success.py runs both methods end to end and reports their evaluations."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "time_to_success.py"
TASK = "simreal/Reach-v0"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow  # about 35 s: two capped training runs of 10 s each, and their evaluations
def test_quick_run_reports_both_methods_with_wall_times_and_success_rates(tmp_path: Path) -> None:
    out = tmp_path / "tts.json"
    result = _run("--quick", "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| task | method | env steps to 90% |" in result.stdout
    payload = json.loads(out.read_text())
    settings = payload["settings"]
    assert settings["quick"] and settings["cap_seconds"] == 10.0
    assert (settings["eval_loop"], settings["eval_ppo"], settings["demos"]) == (250, 4096, 5)
    reach = payload["tasks"][TASK]
    for method in ("loop", "ppo"):
        run = reach[method]
        evaluations = run["evaluations"]
        assert len(evaluations) >= 2, f"{method} was evaluated only {len(evaluations)} time(s)"
        assert all(0.0 <= e["success"] <= 1.0 for e in evaluations)
        seconds = [e["seconds"] for e in evaluations]
        assert seconds == sorted(seconds) and seconds[0] > 0
        # Each stops at its first evaluation past the cap (or at 90%), not before.
        assert run["trained_seconds"] == seconds[-1]
        assert run["trained_seconds"] >= 10.0 or run["reached"]
        # Evaluation is excluded: the time not counted as training grows by at least the
        # evaluation's own seconds from one evaluation to the next.
        excluded = [e["elapsed"] - e["seconds"] for e in evaluations]
        for i, e in enumerate(evaluations[:-1]):
            assert excluded[i + 1] - excluded[i] >= e["eval_seconds"] > 0
        assert run["excluded_seconds"]["evaluation"] >= sum(e["eval_seconds"] for e in evaluations)
        assert 0.0 <= run["best_success"] <= 1.0
        assert f"| Reach-v0 | {payload['methods'][method]} |" in result.stdout
    # The loop: the clone after the demonstrations (5 Reach episodes of 100 steps), then
    # every 250 SAC steps, read from the fine-tune's checkpoints.
    loop = reach["loop"]
    assert loop["demo_env_steps"] == 500
    steps = [e["env_steps"] for e in loop["evaluations"]]
    assert steps == [500 + 250 * k for k in range(len(steps))]
    assert loop["excluded_seconds"]["checkpoints"] > 0
    stages = loop["stage_seconds"]
    assert stages["collect"] > 0 and stages["bc"] > 0 and stages["sac"] > 0
    assert sum(stages.values()) == pytest.approx(loop["trained_seconds"])
    ppo_steps = [e["env_steps"] for e in reach["ppo"]["evaluations"]]
    assert ppo_steps == [4096 * (k + 1) for k in range(len(ppo_steps))]
    assert set(reach["ratio"]) == {"env_steps", "seconds"}
    assert "| Reach-v0 | PPO / loop |" in result.stdout


def test_a_ppo_interval_that_is_not_whole_rollouts_is_refused_before_any_work(
    tmp_path: Path,
) -> None:
    out = tmp_path / "tts.json"
    result = _run("--eval-every", "1000,5000", "--out", str(out))
    assert result.returncode == 2
    assert "--eval-every: PPO's interval must be a multiple of 16 envs x 256 steps" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def _summary(reached: bool, steps: int, seconds: float, best: float = 0.9) -> dict:
    return {
        "reached": reached,
        "env_steps_to_90": steps if reached else None,
        "seconds_to_90": seconds if reached else None,
        "trained_env_steps": steps,
        "trained_seconds": seconds,
        "best_success": best,
        "best_at_env_steps": steps,
        "cap_seconds": 900.0,
    }


def test_the_ratio_is_a_bound_when_one_method_falls_short_of_90_percent() -> None:
    spec = importlib.util.spec_from_file_location("time_to_success", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    loop = {**_summary(True, 17_000, 200.0), "demo_env_steps": 2_000}
    ppo = _summary(True, 655_360, 100.0)
    assert module.ratio(ppo, loop, "seconds") == {"relation": "=", "value": 0.5}
    short = _summary(False, 7_000_000, 905.0, best=0.45)
    assert module.ratio(short, loop, "seconds") == {"relation": ">=", "value": 905.0 / 200.0}
    assert module.ratio(ppo, {**short, "demo_env_steps": 2_000}, "env_steps") == {
        "relation": "<=",
        "value": 655_360 / 7_000_000,
    }
    assert module.ratio(short, short, "seconds") == {"relation": None, "value": None}
    assert module.cells(loop) == ["17,000 (2,000 demo + 15,000 SAC)", "200.0"]
    assert module.cells(short) == [
        "> 7,000,000",
        "not within 900 s (best success 45% at 7,000,000 steps)",
    ]
    text = module.table(
        {
            "simreal/Reach-v0": {
                "loop": loop,
                "ppo": short,
                "ratio": {
                    "env_steps": module.ratio(short, loop, "env_steps"),
                    "seconds": module.ratio(short, loop, "seconds"),
                },
            }
        }
    )
    assert "| Reach-v0 | PPO / loop | >= 411.76x | >= 4.53x |" in text
