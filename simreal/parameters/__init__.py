"""simreal's one vocabulary of model parameters.

A parameter is addressed by MJCF element kind, element *name* and attribute,
never by array index, and printed as one canonical id::

    body[pole].mass          geom[block].friction_sliding     joint[hinge].damping
    actuator[shoulder].kp    option.gravity                   light[key_light].diffuse
    material[table_mat].texture                               camera[front].fovy
    latency.action           noise.observation                push.force

Domain-randomization specs, system-identification specs and fits, sweep tables
and the values reported in ``info`` all use these ids. An unnamed actuator (as
in many Gymnasium models) is addressed by the name of the joint it drives:
``actuator[thigh_joint].gear`` on ``Hopper-v5``. :func:`bind` resolves an
address against any ``MjModel`` once; the bound parameter then reads, writes
and clips values without further name lookups.
"""

from simreal.parameters.address import EFFECT_IDS, ParamAddress
from simreal.parameters.binding import bind
from simreal.parameters.bound_param import BoundParam, OptionParam
from simreal.parameters.catalog import supported_attributes
from simreal.parameters.elements import element_id, element_names, model_array
from simreal.parameters.param_kinds import ActuatorForceLimitParam

__all__ = [
    "EFFECT_IDS",
    "ActuatorForceLimitParam",
    "BoundParam",
    "OptionParam",
    "ParamAddress",
    "bind",
    "element_id",
    "element_names",
    "model_array",
    "supported_attributes",
]
