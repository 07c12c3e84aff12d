"""Each distribution's samples match its law; width scales spreads about the centre."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

from simreal.randomization.distributions import (
    Choice,
    Fixed,
    LogUniform,
    Normal,
    TruncatedNormal,
    Uniform,
)

N = 40_000


def _draw(dist, seed: int = 0) -> np.ndarray:  # noqa: ANN001
    return dist.draw(np.random.default_rng(seed), N)


def test_uniform_mean_and_quantiles() -> None:
    x = _draw(Uniform(0.8, 1.2))
    assert x.mean() == pytest.approx(1.0, abs=0.003)
    np.testing.assert_allclose(np.quantile(x, [0.1, 0.5, 0.9]), [0.84, 1.0, 1.16], atol=0.005)
    assert x.min() >= 0.8 and x.max() <= 1.2


def test_log_uniform_is_uniform_in_log_space() -> None:
    x = _draw(LogUniform(0.5, 2.0))
    assert np.median(x) == pytest.approx(1.0, abs=0.02)
    np.testing.assert_allclose(
        np.quantile(np.log(x), [0.25, 0.75]), [-0.5 * math.log(2), 0.5 * math.log(2)], atol=0.01
    )


def test_normal_mean_std_and_quartiles() -> None:
    x = _draw(Normal(3.0, 0.5))
    assert x.mean() == pytest.approx(3.0, abs=0.01)
    assert x.std() == pytest.approx(0.5, rel=0.02)
    np.testing.assert_allclose(
        np.quantile(x, [0.25, 0.75]), 3.0 + 0.5 * np.array([-0.6745, 0.6745]), atol=0.01
    )


def test_truncated_normal_respects_bounds_and_its_mean() -> None:
    dist = TruncatedNormal(1.0, 0.3, 0.9, 1.5)
    x = _draw(dist)
    assert x.min() >= 0.9 and x.max() <= 1.5
    assert x.mean() == pytest.approx(dist.mean(), abs=0.005)
    a, b = (0.9 - 1.0) / 0.3, (1.5 - 1.0) / 0.3
    assert np.median(x) == pytest.approx(scipy.stats.truncnorm.median(a, b, 1.0, 0.3), abs=0.01)


def test_choice_frequencies_and_bernoulli() -> None:
    x = _draw(Choice((0.0, 1.0, 2.0), (0.2, 0.5, 0.3)))
    np.testing.assert_allclose([np.mean(x == v) for v in (0, 1, 2)], [0.2, 0.5, 0.3], atol=0.01)
    bern = _draw(Choice((0.0, 1.0), (0.7, 0.3)))
    assert bern.mean() == pytest.approx(0.3, abs=0.01)
    assert set(np.unique(_draw(Fixed(4.2)))) == {4.2}


@pytest.mark.parametrize(
    "dist", [Uniform(0.8, 1.2), Normal(1.0, 0.2), TruncatedNormal(1.0, 0.2, 0.5, 1.5)]
)
def test_width_scales_linear_spreads_about_the_centre(dist) -> None:  # noqa: ANN001
    x = _draw(dist)
    centre = np.ones(1)
    np.testing.assert_array_equal(dist.widen(x, centre, 0.0), np.ones(N))
    doubled = dist.widen(x, centre, 2.0)
    assert doubled.std() == pytest.approx(2.0 * x.std(), rel=1e-9)
    assert doubled.mean() == pytest.approx(1.0 + 2.0 * (x.mean() - 1.0), abs=1e-9)


def test_width_scales_log_uniform_in_log_space() -> None:
    dist = LogUniform(0.5, 2.0)
    x = _draw(dist)
    wide = dist.widen(x, np.ones(1), 2.0)
    assert wide.min() >= 0.25 - 1e-12 and wide.max() <= 4.0 + 1e-12
    assert np.log(wide).std() == pytest.approx(2.0 * np.log(x).std(), rel=1e-9)


def test_compiled_sampler_draws_every_family_with_its_law() -> None:
    """The vectorised sampler that wrappers use gives the same laws as the reference draws."""
    import mujoco

    from simreal.asset_paths import asset_path
    from simreal.randomization import BoundSpec, parse_spec

    model = mujoco.MjModel.from_xml_path(str(asset_path("reach.xml")))
    spec = parse_spec({"terms": [
        {"param": "body[forearm].mass", "op": "scale", "distribution": "uniform",
         "low": 0.8, "high": 1.2},
        {"param": "joint[elbow].damping", "op": "scale", "distribution": "log_uniform",
         "low": 0.5, "high": 2},
        {"param": "option.gravity", "op": "add", "distribution": "normal", "mean": 0.0, "std": 0.5},
        {"param": "actuator[elbow].kp", "op": "scale", "distribution": "truncated_normal",
         "mean": 1.0, "std": 0.3, "low": 0.9, "high": 1.5},
        {"param": "material[table_mat].texture", "op": "set", "distribution": "choice",
         "values": ["table_slate", "table_cloth"], "probs": [0.25, 0.75]},
        {"param": "light[key_light].diffuse", "op": "scale", "distribution": "uniform",
         "low": 0.5, "high": 1.0, "shared": True},
    ]})  # fmt: skip
    bound = BoundSpec(spec, model)
    rng = np.random.default_rng(0)
    draws = np.stack([bound.sample_vector(rng, 1.0) for _ in range(20_000)])
    col = {k: draws[:, sl] for k, sl in bound.slices.items()}
    mass = col["body[forearm].mass"][:, 0] / 0.3
    assert mass.mean() == pytest.approx(1.0, abs=0.004) and mass.min() >= 0.8 and mass.max() <= 1.2
    damping = col["joint[elbow].damping"][:, 0] / 0.5
    assert np.median(damping) == pytest.approx(1.0, abs=0.03)
    gravity = col["option.gravity"]
    np.testing.assert_allclose(gravity.std(axis=0), 0.5, rtol=0.03)
    assert abs(np.corrcoef(gravity[:, 0], gravity[:, 1])[0, 1]) < 0.03, (
        "components must be independent"
    )
    kp = col["actuator[elbow].kp"][:, 0] / 60.0
    a, b = (0.9 - 1.0) / 0.3, (1.5 - 1.0) / 0.3
    assert kp.min() >= 0.9 - 1e-9 and kp.max() <= 1.5 + 1e-9
    assert kp.mean() == pytest.approx(scipy.stats.truncnorm.mean(a, b, 1.0, 0.3), abs=0.005)
    texture = col["material[table_mat].texture"][:, 0]
    assert set(np.unique(texture)) == {1.0, 2.0}  # indices of table_slate, table_cloth
    assert np.mean(texture == 2.0) == pytest.approx(0.75, abs=0.015)
    diffuse = col["light[key_light].diffuse"]
    np.testing.assert_array_equal(diffuse[:, 0], diffuse[:, 1])  # shared: one draw for r, g, b
    # Width 0 is the centre exactly; the choice then keeps the nominal texture.
    centre = bound.to_dict(bound.sample_vector(rng, 0.0))
    assert centre["body[forearm].mass"][0] == pytest.approx(0.3)
    assert centre["material[table_mat].texture"][0] == 0.0
