"""A visual reality gap: what a real camera shows that the nominal render does not.

The pixel proxies (``ReachPixelsReal-v0``, ``PushPixelsReal-v0``) see their scene the way
a real camera would, unlike the nominal render and unlike any sample of the visual DR
specs:

* **the scene**: a table texture that no DR choice contains (a procedural one added
  to the model), other colours, lights moved and tinted, and the camera displaced by
  a few centimetres and degrees with a slightly different field of view; written in
  simreal's parameter vocabulary (``camera[front].rotation``, ...) and applied by name
  to the compiled model, so the edits are checked like any DR term's;
* **the sensor**: optical blur, read noise and JPEG compression on every observed
  image, the noise drawn from a generator spawned from the env's seed.

A proxy class holds one gap for its camera, so the state proxy's ``render()`` shows the
same scene as the pixel proxy's observations (one robot, one camera).

None of it touches the dynamics: the state trajectory of a proxy is the same with
and without its visual gap (``tests/test_camera_gap.py``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.parameters import bind

OPS = ("set", "add", "scale")


@dataclass(frozen=True)
class ProceduralTexture:
    """A texture the model does not ship, put on one of its materials.

    Attributes:
        material: The material that shows it (it must have a 2-D texture already).
        name: Name of the added texture.
        builtin: MuJoCo's procedural kind: ``checker``, ``gradient`` or ``flat``.
        rgb1: First colour.
        rgb2: Second colour.
        size: Side of the texture image in pixels.
    """

    material: str
    name: str
    builtin: str
    rgb1: tuple[float, float, float]
    rgb2: tuple[float, float, float]
    size: int = 256

    def add_to(self, spec: mujoco.MjSpec) -> None:
        """Add the texture to ``spec`` and make it the material's colour texture.

        Raises:
            ValueError: For an unknown ``builtin`` or a material the model lacks.
        """
        kinds = {
            "checker": mujoco.mjtBuiltin.mjBUILTIN_CHECKER,
            "gradient": mujoco.mjtBuiltin.mjBUILTIN_GRADIENT,
            "flat": mujoco.mjtBuiltin.mjBUILTIN_FLAT,
        }
        if self.builtin not in kinds:
            raise ValueError(f"builtin must be one of {sorted(kinds)}, got {self.builtin!r}.")
        spec.add_texture(
            name=self.name,
            type=mujoco.mjtTexture.mjTEXTURE_2D,
            builtin=kinds[self.builtin],
            rgb1=list(self.rgb1),
            rgb2=list(self.rgb2),
            width=self.size,
            height=self.size,
        )
        material = spec.material(self.material)
        if material is None:
            raise ValueError(f"the model has no material {self.material!r} to re-texture.")
        material.textures[mujoco.mjtTextureRole.mjTEXROLE_RGB] = self.name


@dataclass(frozen=True)
class CameraGap:
    """How a real camera's images differ from the nominal render.

    Attributes:
        texture: A texture no DR choice contains (``None``: none).
        scene: Parameter id -> ``(op, value)`` with op ``set``, ``add`` or ``scale``
            relative to the nominal model, e.g. ``{"camera[front].fovy": ("scale", (1.05,))}``.
        blur_px: Standard deviation of the optical blur, in pixels of the observed image.
        noise: Standard deviation of the read noise, as a fraction of full scale.
        jpeg_quality: JPEG quality of the compression (1-95; ``None``: none).
    """

    texture: ProceduralTexture | None = None
    scene: Mapping[str, tuple[str, tuple[float, ...]]] = field(default_factory=dict)
    blur_px: float = 0.0
    noise: float = 0.0
    jpeg_quality: int | None = None

    def __post_init__(self) -> None:
        """Check the ops, the sensor's magnitudes and the JPEG quality.

        Raises:
            ValueError: Naming the field and the allowed values.
        """
        for param, (op, _) in self.scene.items():
            if op not in OPS:
                raise ValueError(f"scene[{param!r}]: op must be one of {OPS}, got {op!r}.")
        if self.blur_px < 0 or self.noise < 0:
            raise ValueError("blur_px and noise must be >= 0.")
        if self.jpeg_quality is not None and not 1 <= self.jpeg_quality <= 95:
            raise ValueError(f"jpeg_quality must be in [1, 95], got {self.jpeg_quality}.")

    def edit_spec(self, spec: mujoco.MjSpec) -> None:
        """Add what the nominal model lacks (the texture), before compiling."""
        if self.texture is not None:
            self.texture.add_to(spec)

    def edit_model(self, model: mujoco.MjModel) -> None:
        """Move the lights and the camera and recolour, by name, on the compiled model."""
        for param, (op, value) in self.scene.items():
            bound = bind(param, model)
            nominal = bound.read(model)
            change = np.asarray(value, dtype=np.float64)
            if op == "set":
                target = np.broadcast_to(change, nominal.shape)
            elif op == "add":
                target = nominal + change
            else:
                target = nominal * change
            bound.write(model, np.array(target, dtype=np.float64))

    def sense(self, image: NDArray[np.uint8], rng: np.random.Generator) -> NDArray[np.uint8]:
        """What the camera delivers for a rendered ``image``: blurred, noisy, compressed.

        Args:
            image: A rendered RGB frame, ``(height, width, 3)`` uint8.
            rng: The env's generator (the noise repeats with the env's seed).

        Returns:
            The observed frame, same shape and dtype.
        """
        frame = image.astype(np.float64)
        if self.blur_px > 0:
            from scipy.ndimage import gaussian_filter

            frame = gaussian_filter(frame, sigma=(self.blur_px, self.blur_px, 0.0))
        if self.noise > 0:
            frame = frame + rng.normal(0.0, 255.0 * self.noise, size=frame.shape)
        frame = np.clip(np.rint(frame), 0, 255).astype(np.uint8)
        if self.jpeg_quality is not None:
            from PIL import Image

            buffer = io.BytesIO()
            Image.fromarray(frame).save(buffer, format="JPEG", quality=self.jpeg_quality)
            frame = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
        return frame
