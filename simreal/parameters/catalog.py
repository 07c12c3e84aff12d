"""The catalog: where each addressable model quantity lives in ``MjModel``.

The one place in simreal that knows which array, columns, unit and clip rule belong to
``<kind>[<name>].<attribute>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from simreal.parameters.bound_param import ArrayParam
from simreal.parameters.clips import (
    Clip,
    clip_bool,
    clip_fovy,
    clip_nonnegative,
    clip_positive,
    clip_range,
    clip_real,
    clip_same_sign,
    clip_solimp,
    clip_unit,
)
from simreal.parameters.param_kinds import (
    ActuatorForceLimitParam,
    ActuatorKpParam,
    ActuatorKvParam,
    BodyMassParam,
    LightDirParam,
)


@dataclass(frozen=True)
class CatalogEntry:
    """Where an attribute lives, its clip rule, unit, and the class that binds it."""

    array: str
    columns: tuple[int, ...] | None
    clip: Clip
    unit: str
    dynamics: bool = True
    cls: type[ArrayParam] = ArrayParam


FRICTION = "geom_friction"
CATALOG: dict[str, dict[str, CatalogEntry]] = {
    "body": {
        "mass": CatalogEntry("body_mass", None, clip_positive, "kg", cls=BodyMassParam),
        "com": CatalogEntry("body_ipos", (0, 1, 2), clip_real, "m"),
    },
    "geom": {
        "friction": CatalogEntry(FRICTION, (0, 1, 2), clip_nonnegative, "-"),
        "friction_sliding": CatalogEntry(FRICTION, (0,), clip_nonnegative, "-"),
        "friction_torsional": CatalogEntry(FRICTION, (1,), clip_nonnegative, "m"),
        "friction_rolling": CatalogEntry(FRICTION, (2,), clip_nonnegative, "m"),
        "solref": CatalogEntry("geom_solref", (0, 1), clip_same_sign, "s, -"),
        "solimp": CatalogEntry("geom_solimp", (0, 1, 2, 3, 4), clip_solimp, "-"),
        "rgba": CatalogEntry("geom_rgba", (0, 1, 2, 3), clip_unit, "-", dynamics=False),
    },
    "joint": {
        "damping": CatalogEntry("dof_damping", None, clip_nonnegative, "N m s/rad"),
        "armature": CatalogEntry("dof_armature", None, clip_nonnegative, "kg m^2"),
        "frictionloss": CatalogEntry("dof_frictionloss", None, clip_nonnegative, "N m"),
        "stiffness": CatalogEntry("jnt_stiffness", None, clip_nonnegative, "N m/rad"),
    },
    "actuator": {
        "kp": CatalogEntry("actuator_gainprm", (0,), clip_positive, "N m/rad", cls=ActuatorKpParam),
        "kv": CatalogEntry(
            "actuator_biasprm", (2,), clip_nonnegative, "N m s/rad", cls=ActuatorKvParam
        ),
        "gain": CatalogEntry("actuator_gainprm", (0,), clip_real, "-"),
        "gear": CatalogEntry("actuator_gear", (0,), clip_same_sign, "-"),
        "forcerange": CatalogEntry("actuator_forcerange", (0, 1), clip_range, "N or N m"),
        "forcelimit": CatalogEntry(
            "actuator_forcerange", (1,), clip_positive, "N or N m", cls=ActuatorForceLimitParam
        ),
    },
    "light": {
        "diffuse": CatalogEntry("light_diffuse", (0, 1, 2), clip_unit, "-", dynamics=False),
        "ambient": CatalogEntry("light_ambient", (0, 1, 2), clip_unit, "-", dynamics=False),
        "specular": CatalogEntry("light_specular", (0, 1, 2), clip_unit, "-", dynamics=False),
        "pos": CatalogEntry("light_pos", (0, 1, 2), clip_real, "m", dynamics=False),
        "dir": CatalogEntry(
            "light_dir", (0, 1, 2), clip_real, "-", dynamics=False, cls=LightDirParam
        ),
        "castshadow": CatalogEntry("light_castshadow", None, clip_bool, "bool", dynamics=False),
    },
    "material": {
        "rgba": CatalogEntry("mat_rgba", (0, 1, 2, 3), clip_unit, "-", dynamics=False),
        "emission": CatalogEntry("mat_emission", None, clip_nonnegative, "-", dynamics=False),
        "specular": CatalogEntry("mat_specular", None, clip_unit, "-", dynamics=False),
        "shininess": CatalogEntry("mat_shininess", None, clip_unit, "-", dynamics=False),
        "reflectance": CatalogEntry("mat_reflectance", None, clip_unit, "-", dynamics=False),
    },
    "camera": {
        "pos": CatalogEntry("cam_pos", (0, 1, 2), clip_real, "m", dynamics=False),
        "fovy": CatalogEntry("cam_fovy", None, clip_fovy, "deg", dynamics=False),
    },
}
SPECIAL = {("material", "texture"), ("camera", "rotation")}
OPTIONS = {
    "gravity": (clip_real, "m/s^2"),
    "wind": (clip_real, "m/s"),
    "viscosity": (clip_nonnegative, "Pa s"),
    "density": (clip_nonnegative, "kg/m^3"),
}


def supported_attributes() -> dict[str, list[str]]:
    """Return ``{kind: [attributes]}`` of every addressable model quantity."""
    table = {kind: sorted(entries) for kind, entries in CATALOG.items()}
    table["material"] = sorted([*table["material"], "texture"])
    table["camera"] = sorted([*table["camera"], "rotation"])
    table["option"] = sorted(OPTIONS)
    return table
