"""benchmarks/rl_throughput.py runs end to end and reports where training time goes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "rl_throughput.py"
KINDS = ("simreal", "sync", "dummy")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_quick_run_writes_positive_rates_and_a_breakdown_that_adds_up(tmp_path: Path) -> None:
    out = tmp_path / "rl.json"
    result = _run("--quick", "--tasks", "simreal/Reach-v0", "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "|---" in result.stdout, "no markdown table printed"
    payload = json.loads(out.read_text())
    assert payload["settings"]["threads"] == 1 and payload["settings"]["envs"] == 4
    reach = payload["tasks"]["simreal/Reach-v0"]
    assert reach["raw_physics"] > 0
    assert all(rate > 0 for rate in reach["stepping"].values())
    runs = [reach[algo][kind] for algo in ("ppo", "sac_1", "sac_n") for kind in KINDS]
    for run in runs:
        assert run["steps_per_s"] > 0
        assert set(run["fractions"]) == set(payload["parts"])
        assert sum(run["fractions"].values()) == pytest.approx(1.0, abs=1e-6)
        assert min(run["fractions"].values()) > -0.01  # the layers nest: no negative share
        assert run["fractions"]["physics"] > 0 and run["fractions"]["updates"] > 0
        assert sum(run["seconds"].values()) == pytest.approx(run["wall_s"], rel=1e-6)
    # Physics is part of every training step, so training never outruns it.
    assert 0 < reach["ppo_over_raw"] < 1
    rate = reach["ppo"]["simreal"]["steps_per_s"]
    assert f"PPO trains at {rate:,.0f}/s" in payload["interpretation"]
    assert payload["interpretation"] in result.stdout


def test_a_steps_budget_that_is_not_whole_rollouts_is_refused_before_any_work(
    tmp_path: Path,
) -> None:
    out = tmp_path / "rl.json"
    result = _run("--envs", "4", "--steps", "1000", "--out", str(out))
    assert result.returncode == 2
    assert "--steps must be a multiple of --envs x 256 = 1024" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
