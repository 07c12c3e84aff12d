"""RT-2-style action tokens: per-dimension uniform bins over the action range.

Each action dimension is clipped to ``[low, high]`` and split into ``bins``
uniform bins (RT-2 used 256); a value maps to the index of its bin and a token
decodes to its bin's centre, so the round-trip error is at most half a bin.

>>> import numpy as np
>>> tokenizer = ActionTokenizer(np.array([-1.0]), np.array([1.0]), bins=256)
>>> tokens = tokenizer.encode(np.array([0.3]))
>>> bool(abs(tokenizer.decode(tokens)[0] - 0.3) <= tokenizer.bin_width[0] / 2)
True
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


class ActionTokenizer:
    """Uniform per-dimension binning of a box action space.

    Args:
        low: Lower bounds, one per action dimension.
        high: Upper bounds (each > its lower bound).
        bins: Bins per dimension (>= 2).

    Raises:
        ValueError: For mismatched or empty ranges or fewer than two bins.
    """

    def __init__(self, low: ArrayLike, high: ArrayLike, bins: int = 256) -> None:
        self.low = np.asarray(low, np.float64).ravel()
        self.high = np.asarray(high, np.float64).ravel()
        if self.low.shape != self.high.shape or not np.all(self.high > self.low):
            raise ValueError("every action dimension needs low < high.")
        if not np.all(np.isfinite(self.low)) or not np.all(np.isfinite(self.high)):
            raise ValueError("action bounds must be finite to be binned.")
        if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 2:
            raise ValueError(f"bins must be an integer >= 2, got {bins!r}.")
        self.bins = int(bins)
        self.bin_width = (self.high - self.low) / self.bins

    def encode(self, actions: ArrayLike) -> NDArray[np.int64]:
        """Actions ``(..., n)`` to tokens in ``[0, bins)``; out-of-range values are clipped."""
        a = np.clip(np.asarray(actions, np.float64), self.low, self.high)
        return np.clip(((a - self.low) / self.bin_width).astype(np.int64), 0, self.bins - 1)

    def decode(self, tokens: ArrayLike) -> NDArray[np.float64]:
        """Tokens to the centres of their bins."""
        return self.low + (np.asarray(tokens, np.float64) + 0.5) * self.bin_width
