"""Parse and print parameter addresses (``kind[name].attribute``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

ELEMENT_KINDS = ("body", "geom", "joint", "actuator", "light", "material", "camera")
# Quantities that live outside the MuJoCo model, owned by simreal's effect wrappers.
EFFECT_IDS = (
    "latency.action",
    "latency.observation",
    "noise.observation",
    "bias.observation",
    "noise.action",
    "push.force",
)
# A simulated joint sensor: an additive offset or a gain on a joint's measured position
# (``bias.qpos[hinge]``), applied by a task's sensor channel.
SENSOR_ATTRIBUTES = ("bias", "gain")
_SENSOR = re.compile(r"^(?P<attribute>bias|gain)\.qpos\[(?P<name>[^\[\]]+)\]$")
_ELEMENT = re.compile(r"^(?P<kind>[a-z]+)\[(?P<name>[^\[\]]+)\]\.(?P<attribute>[a-z_0-9]+)$")
_OPTION = re.compile(r"^option\.(?P<attribute>[a-z_]+)$")


@dataclass(frozen=True)
class ParamAddress:
    """Where a parameter lives: element kind, element name, attribute.

    Attributes:
        kind: An MJCF element kind (``body``, ``geom``, ...), ``option`` for global
            physics options, or ``effect`` for latency/noise/push settings.
        name: The element's name (``None`` for ``option`` and ``effect``).
        attribute: The attribute, e.g. ``mass`` (for effects, the whole id).
    """

    kind: str
    name: str | None
    attribute: str

    @property
    def id(self) -> str:
        """The canonical printable id."""
        if self.kind == "effect":
            return self.attribute
        if self.kind == "option":
            return f"option.{self.attribute}"
        return f"{self.kind}[{self.name}].{self.attribute}"

    def __str__(self) -> str:
        return self.id

    @classmethod
    def parse(cls, text: str) -> ParamAddress:
        """Parse a canonical id.

        Args:
            text: e.g. ``"body[pole].mass"``, ``"option.gravity"``, ``"latency.action"``.

        Returns:
            The address.

        Raises:
            ValueError: If the text is not an id of one of the accepted forms.
        """
        if not isinstance(text, str):
            raise ValueError(f"a parameter id must be a string, got {text!r}.")
        text = text.strip()
        if text in EFFECT_IDS:
            return cls("effect", None, text)
        match = _SENSOR.match(text)
        if match:
            return cls("effect", match["name"], text)
        match = _OPTION.match(text)
        if match:
            return cls("option", None, match["attribute"])
        match = _ELEMENT.match(text)
        if match and match["kind"] in ELEMENT_KINDS:
            return cls(match["kind"], match["name"], match["attribute"])
        raise ValueError(
            f"{text!r} is not a parameter id; write kind[name].attribute with kind one of "
            f"{', '.join(ELEMENT_KINDS)} (e.g. body[pole].mass), option.<attribute> "
            f"(e.g. option.gravity), bias.qpos[<joint>] or gain.qpos[<joint>] (a joint "
            f"sensor's offset or gain), or one of {', '.join(EFFECT_IDS)}."
        )
