"""Gymnasium's vector info layout: every key with its ``_<key>`` mask."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def with_masks(infos: dict[str, Any], mask: NDArray[np.bool_]) -> dict[str, Any]:
    """Add Gymnasium's ``_<key>`` masks to a vector info dict (nested dicts too)."""
    out: dict[str, Any] = {}
    for key, value in infos.items():
        if key.startswith("_"):
            out[key] = value
            continue
        out[key] = with_masks(value, mask) if isinstance(value, dict) else value
        out.setdefault(f"_{key}", mask)
    return out
