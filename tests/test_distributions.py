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
