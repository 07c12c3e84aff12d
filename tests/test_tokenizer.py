"""The action tokenizer's round-trip error is at most half a bin, for any action and range."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simreal.learning.tokenizer import ActionTokenizer

finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(
    low=finite,
    span=st.floats(min_value=1e-3, max_value=1e3),
    bins=st.integers(min_value=2, max_value=1024),
    fractions=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=7),
)
def test_round_trip_error_is_at_most_half_a_bin(
    low: float, span: float, bins: int, fractions: list[float]
) -> None:
    n = len(fractions)
    tokenizer = ActionTokenizer(np.full(n, low), np.full(n, low + span), bins)
    actions = low + span * np.array(fractions)
    tokens = tokenizer.encode(actions)
    assert tokens.min() >= 0 and tokens.max() < bins
    error = np.abs(tokenizer.decode(tokens) - actions)
    assert np.all(error <= tokenizer.bin_width / 2 * (1 + 1e-9) + 1e-12)


def test_out_of_range_actions_clip_to_the_end_bins_and_the_seed_example() -> None:
    tokenizer = ActionTokenizer(-np.ones(7), np.ones(7), bins=256)
    assert list(tokenizer.encode(np.array([-5, 5, -1, 1, 0, 0.999, -0.999]))) == [
        0,
        255,
        0,
        255,
        128,
        255,
        0,
    ]
    a = np.random.default_rng(0).uniform(-1, 1, 7)  # the chapter's 7-DoF command
    assert np.abs(a - tokenizer.decode(tokenizer.encode(a))).max() <= 1 / 256


@pytest.mark.parametrize(
    ("low", "high", "bins"), [([0.0], [0.0], 256), ([1.0], [0.0], 256), ([0.0], [1.0], 1)]
)
def test_bad_ranges_are_refused(low: list, high: list, bins: int) -> None:
    with pytest.raises(ValueError):
        ActionTokenizer(low, high, bins)
