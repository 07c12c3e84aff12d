"""Image augmentation for pixel policies: DrQ's random shift and a colour jitter.

* ``shift``: pad by ``pad`` pixels (edge values repeated) and crop back at a random
  offset per image, as DrQ does (Kostrikov et al. 2021; their pad is 4 at 84 pixels);
* ``jitter``: per image a random brightness, contrast and per-channel gain, the
  colour half of torchvision's ``ColorJitter`` without its hue rotation.

torchvision would add a dependency for two functions of a few lines; these act on
whole uint8 batches ``(N, 3, H, W)`` and draw from a ``torch.Generator``, so a seed
repeats the augmentation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where it runs, so the CLI's --help stays light
    import torch

AUGMENTATIONS = ("none", "shift", "jitter", "shift+jitter")


def random_shift(images: torch.Tensor, pad: int, generator: torch.Generator) -> torch.Tensor:
    """Shift every image by up to ``pad`` pixels in x and y (edges repeated)."""
    import torch

    if pad <= 0:
        return images
    n, c, h, w = images.shape
    padded = torch.nn.functional.pad(images.float(), (pad, pad, pad, pad), mode="replicate")
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    rows = (dy[:, None] + torch.arange(h)[None, :])[:, None, :, None]
    rows = rows.expand(n, c, h, w + 2 * pad)
    cols = (dx[:, None] + torch.arange(w)[None, :])[:, None, None, :].expand(n, c, h, w)
    return padded.gather(2, rows).gather(3, cols).to(images.dtype)


def colour_jitter(
    images: torch.Tensor, strength: float, generator: torch.Generator
) -> torch.Tensor:
    """Random brightness, contrast and per-channel gain within ``1 ± strength``."""
    import torch

    if strength <= 0:
        return images
    n = images.shape[0]

    def factor(*shape: int) -> torch.Tensor:
        return 1.0 + strength * (2.0 * torch.rand(shape, generator=generator) - 1.0)

    x = images.float()
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * factor(n, 1, 1, 1) + mean  # contrast
    x = x * factor(n, 1, 1, 1) * factor(n, 3, 1, 1)  # brightness, channel gains
    return x.clamp(0, 255).round().to(images.dtype)


def augment(
    images: torch.Tensor, kind: str, generator: torch.Generator, pad: int = 4,
    strength: float = 0.2,
) -> torch.Tensor:  # fmt: skip
    """Apply ``kind`` (one of :data:`AUGMENTATIONS`) to a uint8 batch ``(N, 3, H, W)``."""
    if kind not in AUGMENTATIONS:
        raise ValueError(f"augment must be one of {AUGMENTATIONS}, got {kind!r}.")
    if "shift" in kind:
        images = random_shift(images, pad, generator)
    if "jitter" in kind:
        images = colour_jitter(images, strength, generator)
    return images
