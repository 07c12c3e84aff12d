"""Names of the pixel policies' image encoders, importable without torch.

The CLI builds ``simreal dagger --encoder``'s choices from them before any heavy import.
"""

from __future__ import annotations

ENCODERS = ("nature", "keypoints")
"""``nature``: SB3's NatureCNN; ``keypoints``: a spatial softmax (learned keypoints)."""
