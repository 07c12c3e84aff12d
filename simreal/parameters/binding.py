"""Resolve parameter addresses against a MuJoCo model: read, write, clip.

The catalog below is the one place in simreal that knows where a named
quantity lives in ``MjModel``. Binding resolves the element name once; a
:class:`BoundParam` then reads and writes by stored row/column indices.

Physical limits (the clip rule): every written value is first clipped into its
quantity's domain — non-negative quantities (friction, damping, armature,
frictionloss, stiffness, kv, latency, noise) at 0; strictly positive ones
(mass, kp, gear magnitude, field of view) at 1% of their nominal magnitude;
colours and reflectances into [0, 1]; a gear keeps its nominal sign; a force
range keeps ``low <= 0 <= high``; a light direction is renormalised; a shadow
flag is rounded to 0 or 1. The clipped value is what is applied and reported.
"""

from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import mujoco
import numpy as np
from numpy.typing import NDArray

from simreal.parameters.address import ParamAddress

_OBJ_TYPES = {
    "body": (mujoco.mjtObj.mjOBJ_BODY, "nbody"),
    "geom": (mujoco.mjtObj.mjOBJ_GEOM, "ngeom"),
    "joint": (mujoco.mjtObj.mjOBJ_JOINT, "njnt"),
    "actuator": (mujoco.mjtObj.mjOBJ_ACTUATOR, "nu"),
    "light": (mujoco.mjtObj.mjOBJ_LIGHT, "nlight"),
    "material": (mujoco.mjtObj.mjOBJ_MATERIAL, "nmat"),
    "camera": (mujoco.mjtObj.mjOBJ_CAMERA, "ncam"),
    "texture": (mujoco.mjtObj.mjOBJ_TEXTURE, "ntex"),
}
_JOINT_DOFS = {
    mujoco.mjtJoint.mjJNT_FREE: 6,
    mujoco.mjtJoint.mjJNT_BALL: 3,
    mujoco.mjtJoint.mjJNT_SLIDE: 1,
    mujoco.mjtJoint.mjJNT_HINGE: 1,
}


def element_names(model: mujoco.MjModel, kind: str) -> list[str]:
    """Return the names by which elements of one kind can be addressed.

    Unnamed elements are omitted, except unnamed actuators, which are listed by
    the name of the joint (tendon, site, body) they drive.
    """
    obj, count = _OBJ_TYPES[kind]
    names = []
    for i in range(getattr(model, count)):
        name = mujoco.mj_id2name(model, obj, i)
        if not name and kind == "actuator":
            target = _TRANSMISSION_TARGETS.get(mujoco.mjtTrn(model.actuator_trntype[i]))
            name = mujoco.mj_id2name(model, target, model.actuator_trnid[i, 0]) if target else None
        if name:
            names.append(name)
    return names


def element_id(model: mujoco.MjModel, kind: str, name: str) -> int:
    """Return the id of a named element.

    Raises:
        ValueError: If the model has no such element; lists the closest names.
    """
    obj, _ = _OBJ_TYPES[kind]
    index = mujoco.mj_name2id(model, obj, name)
    if index >= 0:
        return index
    if kind == "actuator":
        index = _unnamed_actuator_by_target(model, name)
        if index >= 0:
            return index
    names = element_names(model, kind)
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.4)
    hint = f" Closest: {', '.join(close)}." if close else ""
    listing = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
    raise ValueError(
        f"the model has no {kind} named {name!r}.{hint} Its {kind} names: {listing or '(none)'}."
    )


_TRANSMISSION_TARGETS = {
    mujoco.mjtTrn.mjTRN_JOINT: mujoco.mjtObj.mjOBJ_JOINT,
    mujoco.mjtTrn.mjTRN_JOINTINPARENT: mujoco.mjtObj.mjOBJ_JOINT,
    mujoco.mjtTrn.mjTRN_TENDON: mujoco.mjtObj.mjOBJ_TENDON,
    mujoco.mjtTrn.mjTRN_SITE: mujoco.mjtObj.mjOBJ_SITE,
    mujoco.mjtTrn.mjTRN_BODY: mujoco.mjtObj.mjOBJ_BODY,
}


def _unnamed_actuator_by_target(model: mujoco.MjModel, target: str) -> int:
    """Return the unnamed actuator that drives the element named ``target``, or -1.

    Many models (Gymnasium's among them) leave actuators unnamed; those are
    addressed by the name of the joint, tendon, site or body they drive, when
    exactly one unnamed actuator drives it.
    """
    matches = []
    for i in range(model.nu):
        if mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_ACTUATOR, i):
            continue
        obj = _TRANSMISSION_TARGETS.get(mujoco.mjtTrn(model.actuator_trntype[i]))
        if obj is not None and mujoco.mj_id2name(model, obj, model.actuator_trnid[i, 0]) == target:
            matches.append(i)
    return matches[0] if len(matches) == 1 else -1


# --------------------------------------------------------------------------- clip rules
def _clip_nonnegative(value: NDArray, nominal: NDArray) -> NDArray:
    return np.maximum(value, 0.0)


def _clip_positive(value: NDArray, nominal: NDArray) -> NDArray:
    return np.maximum(value, 0.01 * np.abs(nominal))


def _clip_unit(value: NDArray, nominal: NDArray) -> NDArray:
    return np.clip(value, 0.0, 1.0)


def _clip_real(value: NDArray, nominal: NDArray) -> NDArray:
    return value


def _clip_same_sign(value: NDArray, nominal: NDArray) -> NDArray:
    sign = np.where(nominal < 0, -1.0, 1.0)
    return sign * np.maximum(sign * value, 0.01 * np.abs(nominal))


def _clip_fovy(value: NDArray, nominal: NDArray) -> NDArray:
    return np.clip(value, 0.01 * np.abs(nominal), 179.0)


def _clip_range(value: NDArray, nominal: NDArray) -> NDArray:
    low, high = min(value[0], 0.0), max(value[1], 0.0)
    return np.array([low, high])


def _clip_solimp(value: NDArray, nominal: NDArray) -> NDArray:
    out = value.copy()
    out[:3] = np.clip(out[:3], 1e-4, 0.9999)
    return out


def _clip_bool(value: NDArray, nominal: NDArray) -> NDArray:
    return (value > 0.5).astype(np.float64)


Clip = Callable[[NDArray, NDArray], NDArray]


@dataclass(frozen=True)
class LinearTarget:
    """``model_array(model, array).flat[index] = coeff * value[component]``."""

    array: str
    index: NDArray[np.intp]
    coeff: NDArray[np.float64]
    component: NDArray[np.intp]


def model_array(model: mujoco.MjModel, name: str) -> NDArray:
    """Return ``model.<name>``, or ``model.opt.<attr>`` for ``name = "opt.<attr>"``."""
    if name.startswith("opt."):
        return getattr(model.opt, name[4:])
    return getattr(model, name)


def _flat_index(array: NDArray, rows: tuple[int, ...], columns: tuple[int, ...] | None) -> NDArray:
    if array.ndim == 1:
        return np.asarray(rows, np.intp)
    width = array.shape[1]
    cols = columns if columns is not None else tuple(range(width))
    return np.array([r * width + c for r in rows for c in cols], np.intp)


# --------------------------------------------------------------------------- bound params
@dataclass
class BoundParam(ABC):
    """A parameter resolved against one model.

    Attributes:
        address: What the parameter is.
        nominal: Its value in the model when bound (flat float array).
        unit: Physical unit, for tables and plots.
        clip: The domain rule (see the module docstring).
        dynamics: Whether changing it requires ``mj_setConst`` (masses, inertias,
            armature, gear); visual parameters do not.
        choices: For a choice parameter (texture), the names it can take; its
            value is an index into them.
    """

    address: ParamAddress
    nominal: NDArray[np.float64]
    unit: str
    clip: Clip
    dynamics: bool
    choices: tuple[str, ...] | None = None

    @property
    def id(self) -> str:
        """Canonical id."""
        return self.address.id

    @property
    def size(self) -> int:
        """Number of scalar components."""
        return int(self.nominal.size)

    @abstractmethod
    def read(self, model: mujoco.MjModel) -> NDArray[np.float64]:
        """Return the current value in ``model`` (flat float array)."""

    def bounds(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return the per-component ``(low, high)`` of the domain the clip rule enforces."""
        shape = self.nominal.shape
        a = self.clip(np.full(shape, -np.inf), self.nominal)
        b = self.clip(np.full(shape, np.inf), self.nominal)
        return np.minimum(a, b), np.maximum(a, b)

    @property
    def rounds(self) -> bool:
        """Whether values are rounded to 0/1 (flags such as ``castshadow``)."""
        return self.clip is _clip_bool

    def linear_targets(self, model: mujoco.MjModel) -> list[LinearTarget] | None:
        """Describe the write as ``array.flat[index] = coeff * value[component]``.

        Batched writers (many parameters, many simulations) use this to write
        with one scatter per array; ``None`` means the write is not linear
        (orientations, texture choices) and must go through :meth:`write`.
        """
        return None

    def write(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> NDArray[np.float64]:
        """Clip ``value`` into the domain, write it into ``model`` and return what was written."""
        value = self.clip(
            np.broadcast_to(np.asarray(value, np.float64), self.nominal.shape).copy(), self.nominal
        )
        self._write(model, value)
        return value

    @abstractmethod
    def _write(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        """Write an already clipped value into ``model``."""


@dataclass
class ArrayParam(BoundParam):
    """A parameter stored in ``model.<array>[rows][:, columns]``."""

    array: str = ""
    rows: tuple[int, ...] = ()
    columns: tuple[int, ...] | None = None

    def _view(self, model: mujoco.MjModel) -> NDArray:
        return getattr(model, self.array)

    def read(self, model: mujoco.MjModel) -> NDArray[np.float64]:
        """Return the current value."""
        arr = self._view(model)
        rows = list(self.rows)
        values = arr[rows] if self.columns is None else arr[np.ix_(rows, list(self.columns))]
        return np.asarray(values, dtype=np.float64).ravel()

    def linear_targets(self, model: mujoco.MjModel) -> list[LinearTarget] | None:
        """One target: the array entries themselves."""
        index = _flat_index(self._view(model), self.rows, self.columns)
        return [LinearTarget(self.array, index, np.ones(index.size), np.arange(index.size))]

    def _write(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        arr = self._view(model)
        rows = list(self.rows)
        if self.columns is None:
            arr[rows] = value.reshape(arr[rows].shape)
        else:
            index = np.ix_(rows, list(self.columns))
            arr[index] = value.reshape(arr[index].shape)


@dataclass
class OptionParam(BoundParam):
    """A global physics option (``model.opt.<attribute>``)."""

    attribute: str = ""

    def read(self, model: mujoco.MjModel) -> NDArray[np.float64]:
        """Return the current value."""
        return np.atleast_1d(np.asarray(getattr(model.opt, self.attribute), np.float64)).copy()

    def linear_targets(self, model: mujoco.MjModel) -> list[LinearTarget] | None:
        """Vector options are written in place; scalar ones need ``setattr``."""
        if np.ndim(getattr(model.opt, self.attribute)) == 0:
            return None
        index = np.arange(self.size)
        return [LinearTarget(f"opt.{self.attribute}", index, np.ones(self.size), index)]

    def _write(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        current = getattr(model.opt, self.attribute)
        if np.ndim(current) == 0:
            setattr(model.opt, self.attribute, float(value[0]))
        else:
            current[:] = value


@dataclass
class BodyMassParam(ArrayParam):
    """Body mass; the rotational inertia is scaled by the same factor."""

    nominal_inertia: NDArray[np.float64] | None = None

    def linear_targets(self, model: mujoco.MjModel) -> list[LinearTarget] | None:
        """The mass, and the inertia proportional to it."""
        row = self.rows[0]
        per_kg = self.nominal_inertia / self.nominal[0] if self.nominal[0] > 0 else np.zeros(3)
        return [
            LinearTarget("body_mass", np.array([row]), np.ones(1), np.zeros(1, np.intp)),
            LinearTarget("body_inertia", 3 * row + np.arange(3), per_kg, np.zeros(3, np.intp)),
        ]

    def _write(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        super()._write(model, value)
        ratio = value[0] / self.nominal[0] if self.nominal[0] > 0 else 1.0
        model.body_inertia[self.rows[0]] = self.nominal_inertia * ratio


@dataclass
class ActuatorKpParam(ArrayParam):
    """Servo stiffness: ``gainprm[0]``, and ``biasprm[1] = -kp`` on position servos."""

    servo: bool = False

    def linear_targets(self, model: mujoco.MjModel) -> list[LinearTarget] | None:
        """``gainprm[0] = kp`` and, on a position servo, ``biasprm[1] = -kp``."""
        width = model.actuator_gainprm.shape[1]
        base = self.rows[0] * width
        one = np.zeros(1, np.intp)
        targets = [LinearTarget("actuator_gainprm", np.array([base]), np.ones(1), one)]
        if self.servo:
            targets.append(LinearTarget("actuator_biasprm", np.array([base + 1]), -np.ones(1), one))
        return targets

    def _write(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        model.actuator_gainprm[self.rows[0], 0] = value[0]
        if self.servo:
            model.actuator_biasprm[self.rows[0], 1] = -value[0]


@dataclass
class ActuatorKvParam(ArrayParam):
    """Servo damping: ``biasprm[2] = -kv``."""

    def linear_targets(self, model: mujoco.MjModel) -> list[LinearTarget] | None:
        """``biasprm[2] = -kv``."""
        index = np.array([self.rows[0] * model.actuator_biasprm.shape[1] + 2])
        return [LinearTarget("actuator_biasprm", index, -np.ones(1), np.zeros(1, np.intp))]

    def read(self, model: mujoco.MjModel) -> NDArray[np.float64]:
        """Return the current kv."""
        return np.array([-model.actuator_biasprm[self.rows[0], 2]])

    def _write(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        model.actuator_biasprm[self.rows[0], 2] = -value[0]


@dataclass
class ActuatorForceLimitParam(ArrayParam):
    """A symmetric actuator force limit: ``forcerange = [-limit, limit]``, limiting on.

    Saturation the model lacks (a motor driver that clips its current, a servo's torque
    limit) is the usual model mismatch; for a motor with a fixed gain, clipping the
    command at a fraction of its range is the same as this limit. An actuator without
    a limit reads as the largest force its command range can ask for (a motor's
    ``|gain| * max |ctrlrange|``, the actuator force before the gear; a servo's
    ``kp`` times the range's span), so the nominal never binds.
    """

    def read(self, model: mujoco.MjModel) -> NDArray[np.float64]:
        """Return the current limit (or the force the command range reaches, unlimited)."""
        row = self.rows[0]
        if model.actuator_forcelimited[row]:
            return np.array([float(np.max(np.abs(model.actuator_forcerange[row])))])
        gain, ctrl = abs(model.actuator_gainprm[row, 0]), model.actuator_ctrlrange[row]
        if model.actuator_biastype[row] == mujoco.mjtBias.mjBIAS_AFFINE:
            # A servo's force is kp (ctrl - q): at most kp times the command range's span.
            return np.array([float(gain * (ctrl[1] - ctrl[0]))])
        return np.array([float(gain * np.max(np.abs(ctrl)))])

    def linear_targets(self, model: mujoco.MjModel) -> list[LinearTarget] | None:
        """Not linear: writing the limit also turns limiting on."""
        return None

    def _write(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        model.actuator_forcerange[self.rows[0]] = (-value[0], value[0])
        model.actuator_forcelimited[self.rows[0]] = 1


@dataclass
class LightDirParam(ArrayParam):
    """Light direction, renormalised after writing."""

    def linear_targets(self, model: mujoco.MjModel) -> list[LinearTarget] | None:
        """Not linear: the direction is renormalised."""
        return None

    def _write(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        norm = np.linalg.norm(value)
        super()._write(model, value / norm if norm > 1e-9 else self.nominal)


@dataclass
class CameraRotationParam(BoundParam):
    """Camera orientation as a rotation vector (rad) applied to the nominal orientation."""

    camera: int = 0
    nominal_quat: NDArray[np.float64] | None = None

    def read(self, model: mujoco.MjModel) -> NDArray[np.float64]:
        """Return the rotation vector from the nominal orientation."""
        relative = np.zeros(4)
        inverse = np.zeros(4)
        mujoco.mju_negQuat(inverse, self.nominal_quat)
        mujoco.mju_mulQuat(relative, inverse, model.cam_quat[self.camera])
        rotvec = np.zeros(3)
        mujoco.mju_quat2Vel(rotvec, relative, 1.0)
        return rotvec

    def _write(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        delta = np.zeros(4)
        angle = float(np.linalg.norm(value))
        axis = value / angle if angle > 1e-12 else np.array([1.0, 0.0, 0.0])
        mujoco.mju_axisAngle2Quat(delta, axis, angle)
        quat = np.zeros(4)
        mujoco.mju_mulQuat(quat, self.nominal_quat, delta)
        model.cam_quat[self.camera] = quat


@dataclass
class TextureChoiceParam(BoundParam):
    """A material's RGB texture, chosen among the model's 2-D textures by index."""

    material: int = 0
    texture_ids: tuple[int, ...] = ()

    def read(self, model: mujoco.MjModel) -> NDArray[np.float64]:
        """Return the index (into ``choices``) of the current texture."""
        current = model.mat_texid[self.material, mujoco.mjtTextureRole.mjTEXROLE_RGB]
        return np.array([float(self.texture_ids.index(current))])

    def _write(self, model: mujoco.MjModel, value: NDArray[np.float64]) -> None:
        index = int(np.clip(np.rint(value[0]), 0, len(self.texture_ids) - 1))
        model.mat_texid[self.material, mujoco.mjtTextureRole.mjTEXROLE_RGB] = self.texture_ids[
            index
        ]


# --------------------------------------------------------------------------- catalog
@dataclass(frozen=True)
class _Entry:
    array: str
    columns: tuple[int, ...] | None
    clip: Clip
    unit: str
    dynamics: bool = True
    cls: type[ArrayParam] = ArrayParam


_FRICTION = "geom_friction"
_CATALOG: dict[str, dict[str, _Entry]] = {
    "body": {
        "mass": _Entry("body_mass", None, _clip_positive, "kg", cls=BodyMassParam),
        "com": _Entry("body_ipos", (0, 1, 2), _clip_real, "m"),
    },
    "geom": {
        "friction": _Entry(_FRICTION, (0, 1, 2), _clip_nonnegative, "-"),
        "friction_sliding": _Entry(_FRICTION, (0,), _clip_nonnegative, "-"),
        "friction_torsional": _Entry(_FRICTION, (1,), _clip_nonnegative, "m"),
        "friction_rolling": _Entry(_FRICTION, (2,), _clip_nonnegative, "m"),
        "solref": _Entry("geom_solref", (0, 1), _clip_same_sign, "s, -"),
        "solimp": _Entry("geom_solimp", (0, 1, 2, 3, 4), _clip_solimp, "-"),
        "rgba": _Entry("geom_rgba", (0, 1, 2, 3), _clip_unit, "-", dynamics=False),
    },
    "joint": {
        "damping": _Entry("dof_damping", None, _clip_nonnegative, "N m s/rad"),
        "armature": _Entry("dof_armature", None, _clip_nonnegative, "kg m^2"),
        "frictionloss": _Entry("dof_frictionloss", None, _clip_nonnegative, "N m"),
        "stiffness": _Entry("jnt_stiffness", None, _clip_nonnegative, "N m/rad"),
    },
    "actuator": {
        "kp": _Entry("actuator_gainprm", (0,), _clip_positive, "N m/rad", cls=ActuatorKpParam),
        "kv": _Entry("actuator_biasprm", (2,), _clip_nonnegative, "N m s/rad", cls=ActuatorKvParam),
        "gain": _Entry("actuator_gainprm", (0,), _clip_real, "-"),
        "gear": _Entry("actuator_gear", (0,), _clip_same_sign, "-"),
        "forcerange": _Entry("actuator_forcerange", (0, 1), _clip_range, "N or N m"),
        "forcelimit": _Entry(
            "actuator_forcerange", (1,), _clip_positive, "N or N m", cls=ActuatorForceLimitParam
        ),
    },
    "light": {
        "diffuse": _Entry("light_diffuse", (0, 1, 2), _clip_unit, "-", dynamics=False),
        "ambient": _Entry("light_ambient", (0, 1, 2), _clip_unit, "-", dynamics=False),
        "specular": _Entry("light_specular", (0, 1, 2), _clip_unit, "-", dynamics=False),
        "pos": _Entry("light_pos", (0, 1, 2), _clip_real, "m", dynamics=False),
        "dir": _Entry("light_dir", (0, 1, 2), _clip_real, "-", dynamics=False, cls=LightDirParam),
        "castshadow": _Entry("light_castshadow", None, _clip_bool, "bool", dynamics=False),
    },
    "material": {
        "rgba": _Entry("mat_rgba", (0, 1, 2, 3), _clip_unit, "-", dynamics=False),
        "emission": _Entry("mat_emission", None, _clip_nonnegative, "-", dynamics=False),
        "specular": _Entry("mat_specular", None, _clip_unit, "-", dynamics=False),
        "shininess": _Entry("mat_shininess", None, _clip_unit, "-", dynamics=False),
        "reflectance": _Entry("mat_reflectance", None, _clip_unit, "-", dynamics=False),
    },
    "camera": {
        "pos": _Entry("cam_pos", (0, 1, 2), _clip_real, "m", dynamics=False),
        "fovy": _Entry("cam_fovy", None, _clip_fovy, "deg", dynamics=False),
    },
}
_SPECIAL = {("material", "texture"), ("camera", "rotation")}
_OPTIONS = {
    "gravity": (_clip_real, "m/s^2"),
    "wind": (_clip_real, "m/s"),
    "viscosity": (_clip_nonnegative, "Pa s"),
    "density": (_clip_nonnegative, "kg/m^3"),
}


def supported_attributes() -> dict[str, list[str]]:
    """Return ``{kind: [attributes]}`` of every addressable model quantity."""
    table = {kind: sorted(entries) for kind, entries in _CATALOG.items()}
    table["material"] = sorted([*table["material"], "texture"])
    table["camera"] = sorted([*table["camera"], "rotation"])
    table["option"] = sorted(_OPTIONS)
    return table


def bind(address: ParamAddress | str, model: mujoco.MjModel) -> BoundParam:
    """Resolve a model parameter against a model.

    Args:
        address: The address or its canonical id.
        model: Any ``MjModel``.

    Returns:
        The bound parameter, whose ``nominal`` is the model's current value.

    Raises:
        ValueError: For an unknown attribute or element name (with close matches), or
            an attribute this particular element cannot have (e.g. ``kv`` on a motor).
    """
    if isinstance(address, str):
        address = ParamAddress.parse(address)
    if address.kind == "effect":
        raise ValueError(f"{address.id} is not a model parameter; effect wrappers own it.")
    attributes = supported_attributes()
    if address.attribute not in attributes[address.kind]:
        raise ValueError(
            f"{address.id}: the element kind {address.kind!r} has no attribute "
            f"{address.attribute!r}; "
            f"use one of {', '.join(attributes[address.kind])}."
        )
    if address.kind == "option":
        clip, unit = _OPTIONS[address.attribute]
        nominal = np.atleast_1d(
            np.asarray(getattr(model.opt, address.attribute), np.float64)
        ).copy()
        return OptionParam(address, nominal, unit, clip, True, attribute=address.attribute)

    try:
        index = element_id(model, address.kind, address.name)
    except ValueError as error:
        raise ValueError(f"{address.id}: {error}") from None
    if (address.kind, address.attribute) == ("material", "texture"):
        return _bind_texture(address, model, index)
    if (address.kind, address.attribute) == ("camera", "rotation"):
        return CameraRotationParam(
            address, np.zeros(3), "rad", _clip_real, False,
            camera=index, nominal_quat=model.cam_quat[index].copy(),
        )  # fmt: skip
    entry = _CATALOG[address.kind][address.attribute]
    rows: tuple[int, ...] = (index,)
    if address.kind == "joint" and entry.array.startswith("dof_"):
        start = int(model.jnt_dofadr[index])
        rows = tuple(range(start, start + _JOINT_DOFS[mujoco.mjtJoint(model.jnt_type[index])]))
    extra: dict = {}
    if entry.cls is BodyMassParam:
        extra["nominal_inertia"] = model.body_inertia[index].copy()
    if entry.cls in (ActuatorKpParam, ActuatorKvParam):
        extra.update(_servo_checks(address, model, index))
    param = entry.cls(
        address, np.zeros(0), entry.unit, entry.clip, entry.dynamics,
        array=entry.array, rows=rows, columns=entry.columns, **extra,
    )  # fmt: skip
    param.nominal = param.read(model).copy()
    return param


def _servo_checks(address: ParamAddress, model: mujoco.MjModel, index: int) -> dict:
    affine = model.actuator_biastype[index] == mujoco.mjtBias.mjBIAS_AFFINE
    if model.actuator_gaintype[index] != mujoco.mjtGain.mjGAIN_FIXED:
        raise ValueError(f"{address.id}: actuator {address.name!r} has no fixed gain to set.")
    if address.attribute == "kv":
        if not affine:
            raise ValueError(
                f"{address.id}: actuator {address.name!r} has no velocity feedback (kv); "
                "only position/velocity servos with an affine bias have one."
            )
        return {}
    servo = affine and np.isclose(
        model.actuator_biasprm[index, 1], -model.actuator_gainprm[index, 0]
    )
    return {"servo": bool(servo)}


def _bind_texture(address: ParamAddress, model: mujoco.MjModel, material: int) -> BoundParam:
    texture_ids = tuple(
        i for i in range(model.ntex) if model.tex_type[i] == mujoco.mjtTexture.mjTEXTURE_2D
    )
    if not texture_ids:
        raise ValueError(f"{address.id}: the model has no 2-D textures to choose from.")
    current = int(model.mat_texid[material, mujoco.mjtTextureRole.mjTEXROLE_RGB])
    if current not in texture_ids:
        raise ValueError(
            f"{address.id}: material {address.name!r} has no 2-D texture to replace; "
            "give it one in the MJCF first."
        )
    names = tuple(
        mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_TEXTURE, i) or f"texture{i}"
        for i in texture_ids
    )
    nominal = np.array([float(texture_ids.index(current))])
    return TextureChoiceParam(
        address, nominal, "choice", _clip_real, False, choices=names,
        material=material, texture_ids=texture_ids,
    )  # fmt: skip
