"""Correlated DR terms: a joint normal draw, scaled by width, truncated; fit.yaml's form."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

import simreal
from simreal.randomization.sampler import BoundSpec
from simreal.randomization.spec import SpecError, parse_spec
from tests.conftest import run_cli
from tests.test_sysid import PROXY_PARAMS

TASK = "simreal/PendulumSwingup-v0"
MASS, DAMPING = "body[pole].mass", "joint[hinge].damping"


def _spec(covariance: list | None = None, low: float = 0.5) -> dict:
    spec = {"terms": [
        {"param": MASS, "op": "set", "distribution": "truncated_normal", "mean": 1.3, "std": 0.1,
         "low": low, "high": 3.0, "centre": 1.3},
        {"param": DAMPING, "op": "set", "distribution": "truncated_normal", "mean": 0.12,
         "std": 0.01, "low": 0.0, "high": 1.0, "centre": 0.12}]}  # fmt: skip
    if covariance is not None:
        spec["correlated"] = [{"params": [MASS, DAMPING], "covariance": covariance}]
    return spec


COVARIANCE = [[0.01, 0.00095], [0.00095, 0.0001]]  # correlation 0.95


def _draws(spec: dict, width: float = 1.0, n: int = 3000, seed: int = 0) -> np.ndarray:
    model = simreal.make(TASK).unwrapped.model
    bound = BoundSpec(parse_spec(spec), model)
    rng = np.random.default_rng(seed)
    rows = [bound.sample_vector(rng, width) for _ in range(n)]
    return np.array([[r[bound.slices[MASS]][0], r[bound.slices[DAMPING]][0]] for r in rows])


def test_a_correlated_block_draws_with_its_covariance() -> None:
    joint = _draws(_spec(COVARIANCE))
    assert np.corrcoef(joint.T)[0, 1] == pytest.approx(0.95, abs=0.02)
    np.testing.assert_allclose(joint.std(axis=0), [0.1, 0.01], rtol=0.05)
    np.testing.assert_allclose(joint.mean(axis=0), [1.3, 0.12], rtol=0.01)
    independent = _draws(_spec(None))
    assert abs(np.corrcoef(independent.T)[0, 1]) < 0.05


def test_width_scales_the_joint_deviation_and_the_same_seed_repeats() -> None:
    np.testing.assert_allclose(_draws(_spec(COVARIANCE), width=0.0, n=5), [[1.3, 0.12]] * 5)
    wide = _draws(_spec(COVARIANCE), width=2.0)
    np.testing.assert_allclose(wide.std(axis=0), [0.2, 0.02], rtol=0.06)
    np.testing.assert_array_equal(_draws(_spec(COVARIANCE), n=10), _draws(_spec(COVARIANCE), n=10))


def test_the_joint_draw_stays_within_each_terms_bounds() -> None:
    truncated = _draws(_spec(COVARIANCE, low=1.25))
    assert truncated[:, 0].min() >= 1.25
    # Truncating the mass drags the correlated damping up with it.
    assert truncated[:, 1].mean() > 0.12 + 0.003


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"params": [MASS, "joint[hinge].armature"], "covariance": COVARIANCE}, "has no term"),
        ({"params": [MASS, DAMPING], "covariance": [[1.0, 0.5], [0.4, 1.0]]}, "symmetric"),
        ({"params": [MASS, DAMPING], "covariance": [[1.0, 2.0], [2.0, 1.0]]}, "negative eigen"),
        ({"params": [MASS, DAMPING], "covariance": [[1.0]]}, "2 x 2 matrix"),
        ({"params": [MASS]}, "exactly 'params' and 'covariance'"),
    ],
)
def test_a_bad_block_is_one_sentence(block: dict, message: str) -> None:
    spec = _spec(None)
    spec["correlated"] = [block]
    with pytest.raises(SpecError, match=message):
        parse_spec(spec)


def test_the_block_round_trips_through_yaml() -> None:
    spec = parse_spec(_spec(COVARIANCE))
    assert parse_spec(yaml.safe_load(spec.to_yaml())) == spec


def test_sysid_writes_the_fits_covariance_as_a_correlated_block(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text(PROXY_PARAMS)
    done = run_cli("record", "--task", "simreal/PendulumSwingupReal-v0", "--out", "real.parquet",
                   "--duration", "10", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    done = run_cli("sysid", "--task", TASK, "--log", "real.parquet", "--params", "params.yaml",
                   "--dr-form", "correlated", "--out", "fit.yaml", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = yaml.safe_load((tmp_path / "fit.yaml").read_text())
    (block,) = document["correlated"]
    ids = [
        p for p in document["sysid"]["values"] if np.isfinite(document["sysid"]["std_errors"][p])
    ]
    assert block["params"] == ids
    fitted = np.array(document["sysid"]["correlation"])
    env = simreal.make(TASK, dr=tmp_path / "fit.yaml")
    draws = np.array([[env.reset(seed=s)[1]["dr"][p] for p in ids] for s in range(600)])
    drawn = np.corrcoef(draws.reshape(len(draws), -1).T)
    order = [list(document["sysid"]["values"]).index(p) for p in ids]
    strong = np.abs(fitted[np.ix_(order, order)]) > 0.5
    np.fill_diagonal(strong, False)
    assert strong.any()  # the proxy's fit has strongly correlated pairs to reproduce
    np.testing.assert_allclose(drawn[strong], fitted[np.ix_(order, order)][strong], atol=0.1)
