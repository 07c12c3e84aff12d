"""Resolve parameter addresses against a MuJoCo model.

Binding resolves the element name once (:mod:`simreal.parameters.elements`), looks the
attribute up in :mod:`simreal.parameters.catalog`, and returns a :class:`BoundParam` that
then reads and writes by stored row/column indices, clipping every write into the
quantity's domain (:mod:`simreal.parameters.clips`).
"""

from __future__ import annotations

import mujoco
import numpy as np

from simreal.parameters.address import ParamAddress
from simreal.parameters.bound_param import BoundParam, OptionParam
from simreal.parameters.catalog import CATALOG, OPTIONS, supported_attributes
from simreal.parameters.clips import clip_real
from simreal.parameters.elements import JOINT_DOFS, element_id
from simreal.parameters.param_kinds import (
    ActuatorKpParam,
    ActuatorKvParam,
    BodyMassParam,
    CameraRotationParam,
    TextureChoiceParam,
)


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
        clip, unit = OPTIONS[address.attribute]
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
            address, np.zeros(3), "rad", clip_real, False,
            camera=index, nominal_quat=model.cam_quat[index].copy(),
        )  # fmt: skip
    entry = CATALOG[address.kind][address.attribute]
    rows: tuple[int, ...] = (index,)
    if address.kind == "joint" and entry.array.startswith("dof_"):
        start = int(model.jnt_dofadr[index])
        rows = tuple(range(start, start + JOINT_DOFS[mujoco.mjtJoint(model.jnt_type[index])]))
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
        address, nominal, "choice", clip_real, False, choices=names,
        material=material, texture_ids=texture_ids,
    )  # fmt: skip
