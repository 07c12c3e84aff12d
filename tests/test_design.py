"""A D-optimal multisine: more information about the parameters asked for, same bound."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simreal.sysid.design import d_optimal_multisine, weighted_multisine
from simreal.sysid.excitation import excitation, record
from simreal.sysid.identifiability import identifiability, information
from tests.conftest import run_cli
from tests.test_sysid import HIDDEN, LATENCY, PARAMS, PROXY_PARAMS, _pendulum


def log_det(commands: np.ndarray) -> float:
    model = _pendulum()
    info, _ = information(model, PARAMS, [record(model, commands, 0.02)])
    return float(np.linalg.slogdet(info)[1])


def test_equal_weights_are_the_plain_multisine_of_the_same_seed() -> None:
    model = _pendulum()
    plain = excitation("multisine", 6.0, 0.02, model.actuator_ctrlrange, np.random.default_rng(3))
    phases = np.random.default_rng(3).uniform(0, 2 * np.pi, (1, 12))
    same = weighted_multisine(np.ones((1, 12)), phases, 6.0, 0.02, model.actuator_ctrlrange)
    np.testing.assert_allclose(same, plain)


def test_the_design_is_more_informative_within_the_same_bound() -> None:
    model = _pendulum()
    plain = excitation("multisine", 6.0, 0.02, model.actuator_ctrlrange, np.random.default_rng(0))
    designed = d_optimal_multisine(model, PARAMS, 6.0, 0.02, np.random.default_rng(0),
                                   evaluations=24)  # fmt: skip
    assert designed.shape == plain.shape
    assert np.abs(designed).max() <= 0.8 + 1e-12 and np.abs(designed).max() > 0.79
    assert log_det(designed) > log_det(plain) + 1.0  # a confidence region e times smaller
    # On the plant the log comes from (the hidden values), the intervals shrink too.
    truth = _pendulum()
    se = {}
    for name, commands in (("plain", plain), ("designed", designed)):
        log = record(truth, commands, 0.02, HIDDEN, LATENCY)
        se[name] = identifiability(truth, PARAMS, [log]).predicted_se
    assert np.prod(se["designed"]) < np.prod(se["plain"])


def test_cli_records_the_designed_excitation_and_refuses_what_it_cannot(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text(PROXY_PARAMS)
    done = run_cli("record", "--task", "simreal/PendulumSwingupReal-v0", "--excitation",
                   "optimal", "--params", "params.yaml", "--duration", "6",
                   "--design-evaluations", "8", "--out", "log.csv", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "design: log det information" in done.stdout and (tmp_path / "log.csv").is_file()
    for extra, message in (
        (["--excitation", "optimal"], "give both it and --params params.yaml"),
        (["--amplitude", "1.5"], "--amplitude: 1.5 of the half-range exceeds the actuators'"),
    ):
        done = run_cli("record", "--task", "simreal/PendulumSwingup-v0", *extra, "--out",
                       "x.csv", cwd=tmp_path)  # fmt: skip
        assert done.returncode == 2 and message in done.stderr
        assert not (tmp_path / "x.csv").exists()
