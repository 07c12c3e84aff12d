"""Named model elements: their ids, the names they can be addressed by, their arrays."""

from __future__ import annotations

import difflib

import mujoco
from numpy.typing import NDArray

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
JOINT_DOFS = {
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


def model_array(model: mujoco.MjModel, name: str) -> NDArray:
    """Return ``model.<name>``, or ``model.opt.<attr>`` for ``name = "opt.<attr>"``."""
    if name.startswith("opt."):
        return getattr(model.opt, name[4:])
    return getattr(model, name)
