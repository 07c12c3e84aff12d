"""The end-to-end demo: log the real proxy, fit it, train three ways, compare; resumable."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from simreal.randomization.spec import load_spec
from tests.conftest import run_cli


@pytest.mark.slow
def test_demo_runs_every_stage_and_resumes_without_redoing(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    tiny = ["--steps", "200", "--demo-steps", "400", "--seeds", "2", "--episodes", "2"]
    tiny += ["--target-episodes", "1"]
    tiny += ["--jobs", "2"]
    result = run_cli("demo", *tiny, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "| sysid-centred DR |" in result.stdout
    results = json.loads((out / "results.json").read_text())
    assert [(c["learner"], c["condition"]) for c in results["conditions"]] == [
        (learner, condition)
        for learner in ("bc", "bcrl")
        for condition in ("nominal only", "wide DR (width 2)", "sysid-centred DR")
    ] + [("target", "sysid-centred DR + 1 episode on the proxy")]
    # Each seed's target fine-tune (two at once, on --jobs 2) took its one training episode on
    # the proxy, counted apart.
    for seed in (0, 1):
        target = json.loads((out / f"target_s{seed}" / "finetune.json").read_text())
        assert target["settings"]["task"] == "simreal/PendulumSwingupReal-v0"
        assert target["settings"]["seed"] == seed
        assert target["ran"]["training_episodes"] == 1 and target["ran"]["env_steps"] == 400
    # The BC rows score the very clones that BC -> RL fine-tuned (each run's bc/ folder).
    rows = list(csv.DictReader((out / "sweep_bcrl_fit" / "results.csv").open()))
    clone = [float(r["clone:PendulumSwingupReal-v0/return"]) for r in rows]
    by_name = {(c["learner"], c["condition"]): c for c in results["conditions"]}
    assert by_name["bc", "sysid-centred DR"]["real_return"] == pytest.approx(np.mean(clone))
    assert (out / "sweep_bcrl_fit" / "runs" / "bcrl_fit_all_w1_s1" / "bc" / "policy.json").is_file()
    assert results["real_proxy"] == "simreal/PendulumSwingupReal-v0"
    # The log holds the proxy's sensor readings; the fit recovers its 40 ms command latency and
    # its encoder's 0.05 rad offset, and fit.yaml is a DR spec with both.
    fit = yaml.safe_load((out / "fit.yaml").read_text())
    assert fit["sysid"]["measurements"] == ["sensors of simreal/PendulumSwingupReal-v0"]
    assert fit["sysid"]["values"]["latency.action"] == pytest.approx(0.04, abs=0.004)
    assert fit["sysid"]["values"]["bias.qpos[hinge]"] == pytest.approx(0.05, rel=0.1)
    assert {t.id for t in load_spec(out / "fit.yaml").terms} >= {"latency.action",
                                                                  "bias.qpos[hinge]"}  # fmt: skip
    for png in ("demo.png", "fit.png", "sweep_bcrl_default/transfer.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG", png
    stamps = {p: (out / p).stat().st_mtime_ns for p in ("fit.yaml", "real_log.parquet")}
    again = run_cli("demo", *tiny, "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert "[1/5]" not in again.stdout and "[2/5]" not in again.stdout  # not redone
    assert {p: (out / p).stat().st_mtime_ns for p in stamps} == stamps
    assert again.stderr.count("4 of 4 runs already finished") == 1  # two sweeps: 4 runs, 2 runs
    assert again.stderr.count("2 of 2 runs already finished") == 1


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--seeds", "0"], "--seeds"),
        (["--task", "simreal/Pendulum-v0"], "unknown task id"),
        (["--task", "simreal/Push-v0"], "ships no sysid.yaml"),
        (["--wide-width", "-1"], "--wide-width must be a number > 0"),
    ],
)
def test_demo_bad_flags_exit_2_and_write_nothing(
    args: list[str], fragment: str, tmp_path: Path
) -> None:
    result = run_cli("demo", *args, "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()


def test_the_cartpole_fit_finds_the_proxy_as_the_model_sees_it(tmp_path: Path) -> None:
    """envs/cartpole/sysid.yaml: the demo's record and fit recover the cart-pole proxy.

    With the gear fixed, the proxy's 0.85x motor shows as masses, damping and friction
    divided by 0.85; the latency and the encoder offset are the proxy's own.
    """
    from simreal.demo import DemoConfig, identify, record_real_log
    from simreal.envs.cartpole import real

    config = DemoConfig(task="simreal/CartpoleSwingup-v0")
    record_real_log(config, tmp_path / "log.parquet", lambda _: None)
    identify(config, tmp_path / "log.parquet", tmp_path / "fit.yaml", lambda _: None)
    values = yaml.safe_load((tmp_path / "fit.yaml").read_text())["sysid"]["values"]
    expected = {"body[cart].mass": 1.0 * 1.2 / 0.85, "body[pole].mass": 0.1 * 1.3 / 0.85,
                "joint[slider].damping": 0.5 / 0.85, "joint[slider].frictionloss": 0.3 / 0.85,
                "latency.action": 0.08, "bias.qpos[hinge]": real.ANGLE_BIAS_RAD}  # fmt: skip
    for name, value in expected.items():
        assert values[name] == pytest.approx(value, rel=0.03), name
