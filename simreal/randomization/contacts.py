"""The friction in effect between geoms whose friction a spec randomizes.

MuJoCo never uses one geom's friction alone: a contact between geoms ``a`` and
``b`` takes its parameters from both (``mj_contactParam`` in MuJoCo's
``engine_collision_driver.c``; "Contact parameters" in its documentation):

* if their ``priority`` differs, the geom with the higher priority gives the
  friction and ``condim``;
* if it is equal, each friction component is the larger of the two and
  ``condim`` is the larger of the two (``solmix`` weighs only solref/solimp);
* an explicit ``<pair>`` of the two geoms replaces both with its own values;
* ``condim`` 1 leaves no friction in effect, 3 only sliding, 4 sliding and
  torsional, 6 all three; MuJoCo clamps each component at ``mjMINMU`` and the
  ``override`` flag replaces them all with ``option.o_friction``.

So two independent terms on a block's and a table's friction give the larger
of two draws, not either draw. :class:`ContactFriction` lists the geom pairs
that can touch (the same filters as MuJoCo's collision detection: contype and
conaffinity, one weld body, parent and child, ``<exclude>``, geom types
without a collision function) and computes their friction in effect, for one
model or a batch of simulations, under ids such as
``contact[block,table].friction_sliding``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import mujoco
import numpy as np
from numpy.typing import NDArray

COMPONENTS = ("sliding", "torsional", "rolling")
_ATTRIBUTE_COMPONENTS = {
    "friction": (0, 1, 2),
    "friction_sliding": (0,),
    "friction_torsional": (1,),
    "friction_rolling": (2,),
}
# Friction components in effect for each condim.
_ACTIVE = {1: 0, 3: 1, 4: 2, 6: 3}
_NO_COLLIDER = {int(mujoco.mjtGeom.mjGEOM_PLANE), int(mujoco.mjtGeom.mjGEOM_HFIELD)}


@dataclass(frozen=True)
class GeomPair:
    """Two geoms that can touch.

    Attributes:
        name: ``contact[<name>,<name>]`` with the two names in sorted order.
        geoms: Their ids.
        explicit: The index of the ``<pair>`` element that sets their contact, or -1.
    """

    name: str
    geoms: tuple[int, int]
    explicit: int = -1


def randomized_friction(ids: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """Map the geom names of friction parameter ids to the components they address.

    Args:
        ids: Canonical parameter ids (others are ignored).

    Returns:
        ``{geom name: component indices}``.
    """
    out: dict[str, set[int]] = {}
    for param_id in ids:
        if not param_id.startswith("geom["):
            continue
        name, attribute = param_id[len("geom[") :].rsplit("].", 1)
        if attribute in _ATTRIBUTE_COMPONENTS:
            out.setdefault(name, set()).update(_ATTRIBUTE_COMPONENTS[attribute])
    return {name: tuple(sorted(c)) for name, c in out.items()}


def _can_touch(model: mujoco.MjModel, g1: int, g2: int) -> bool:
    """Whether MuJoCo's collision filters let geoms ``g1`` and ``g2`` make a contact."""
    if {int(model.geom_type[g1]), int(model.geom_type[g2])} <= _NO_COLLIDER:
        return False
    if not (model.geom_contype[g1] & model.geom_conaffinity[g2]) and not (
        model.geom_contype[g2] & model.geom_conaffinity[g1]
    ):
        return False
    b1, b2 = int(model.geom_bodyid[g1]), int(model.geom_bodyid[g2])
    w1, w2 = int(model.body_weldid[b1]), int(model.body_weldid[b2])
    if w1 == w2:
        return False
    parent1 = int(model.body_weldid[model.body_parentid[w1]])
    parent2 = int(model.body_weldid[model.body_parentid[w2]])
    filter_parent = not model.opt.disableflags & mujoco.mjtDisableBit.mjDSBL_FILTERPARENT
    if filter_parent and w1 != 0 and w2 != 0 and (w1 == parent2 or w2 == parent1):
        return False
    signature = (min(b1, b2) << 16) + max(b1, b2)
    return signature not in set(model.exclude_signature.tolist())


def geom_pairs(model: mujoco.MjModel, names: Iterable[str]) -> list[GeomPair]:
    """The named geom pairs that can touch and include one of ``names``.

    Explicit ``<pair>`` elements count whatever the filters say (MuJoCo collides
    them unconditionally).

    Args:
        model: The model.
        names: Geom names.

    Returns:
        The pairs, sorted by name.
    """
    explicit = {
        frozenset((int(a), int(b))): i
        for i, (a, b) in enumerate(zip(model.pair_geom1, model.pair_geom2, strict=True))
    }
    ids = {model.geom(name).id for name in names}
    pairs: dict[str, GeomPair] = {}
    for g1 in sorted(ids):
        for g2 in range(model.ngeom):
            n1 = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_GEOM, g1)
            n2 = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_GEOM, g2)
            index = explicit.get(frozenset((g1, g2)), -1)
            if g1 == g2 or not n2 or (index < 0 and not _can_touch(model, g1, g2)):
                continue
            (a, ga), (b, gb) = sorted([(n1, g1), (n2, g2)])
            pairs.setdefault(f"contact[{a},{b}]", GeomPair(f"contact[{a},{b}]", (ga, gb), index))
    return [pairs[k] for k in sorted(pairs)]


class ContactFriction:
    """The friction in effect of the geom pairs a spec's friction terms reach.

    The mixing rule depends only on quantities a spec does not randomize
    (priorities, condims, pairs, flags), so it is resolved once into, per pair
    and component, two entries of ``geom_friction`` whose larger value is in
    effect (the same entry twice when one geom decides), or a constant.

    Args:
        model: The model (its priorities, condims and pairs are read once).
        ids: The spec's parameter ids.
    """

    def __init__(self, model: mujoco.MjModel, ids: Iterable[str]) -> None:
        randomized = randomized_friction(ids)
        self.pairs = geom_pairs(model, randomized)
        override = bool(model.opt.enableflags & mujoco.mjtEnableBit.mjENBL_OVERRIDE)
        first, second, constant = [], [], []
        for pair in self.pairs:
            g1, g2 = pair.geoms
            p1, p2 = model.geom_priority[g1], model.geom_priority[g2]
            c1, c2 = model.geom_condim[g1], model.geom_condim[g2]
            condim = c1 if p1 > p2 else c2 if p1 < p2 else max(c1, c2)
            a, b = (g1, g1) if p1 > p2 else (g2, g2) if p1 < p2 else (g1, g2)
            fixed = None
            if pair.explicit >= 0:
                condim = model.pair_dim[pair.explicit]
                fixed = model.pair_friction[pair.explicit, [0, 2, 3]]
            if override:
                fixed = np.asarray(model.opt.o_friction)[[0, 2, 3]]
            for c in range(3):
                first.append(3 * a + c)
                second.append(3 * b + c)
                if c >= _ACTIVE[int(condim)]:
                    constant.append(0.0)
                else:
                    constant.append(np.nan if fixed is None else max(fixed[c], mujoco.mjMINMU))
        self._first = np.array(first, np.intp)
        self._second = np.array(second, np.intp)
        self._constant = np.array(constant)
        self._is_constant = ~np.isnan(self._constant)
        names = {
            mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_GEOM, g): g for g in range(model.ngeom)
        }
        reported = {names[n]: c for n, c in randomized.items()}
        # Report the components the spec randomizes on either geom of the pair.
        self.ids = [
            f"{pair.name}.friction_{COMPONENTS[c]}"
            for pair in self.pairs
            for c in sorted({*reported.get(pair.geoms[0], ()), *reported.get(pair.geoms[1], ())})
        ]
        entry = {f"{pair.name}.friction_{COMPONENTS[c]}": 3 * row + c for row, pair in
                 enumerate(self.pairs) for c in range(3)}  # fmt: skip
        self._reported = np.array([entry[key] for key in self.ids], np.intp)
        # The same tables as Python numbers, for one model (a few entries: cheaper than numpy).
        self._scalar = [
            (key, int(self._first[e]), int(self._second[e]), float(self._constant[e]))
            for key, e in zip(self.ids, self._reported, strict=True)
        ]

    def _values(self, geom_friction: NDArray, entries: NDArray[np.intp] | slice) -> NDArray:
        flat = np.reshape(geom_friction, (*np.shape(geom_friction)[:-2], -1))
        values = np.maximum(flat[..., self._first[entries]], flat[..., self._second[entries]])
        values = np.maximum(values, mujoco.mjMINMU)
        return np.where(self._is_constant[entries], self._constant[entries], values)

    def effective(self, geom_friction: NDArray) -> NDArray[np.float64]:
        """The friction in effect, ``(..., n_pairs, 3)``, from ``(..., ngeom, 3)`` geom frictions.

        Components the pair's condim leaves out are 0.
        """
        values = self._values(geom_friction, slice(None))
        return values.reshape(*values.shape[:-1], len(self.pairs), 3)

    def report(self, geom_friction: NDArray) -> dict[str, NDArray[np.float64]]:
        """``{contact id: value}`` (a float, or ``(N,)`` for a batch) of the reported values."""
        if np.ndim(geom_friction) == 2:
            flat = np.ravel(geom_friction).tolist()
            return {
                key: constant if constant == constant else max(flat[a], flat[b], mujoco.mjMINMU)
                for key, a, b, constant in self._scalar
            }  # a constant is NaN where the geoms' values decide
        values = self._values(geom_friction, self._reported)
        return dict(zip(self.ids, np.moveaxis(values, -1, 0), strict=True))
