"""simreal's MuJoCo tasks, their experts and their "real" proxies.

Installed as ``simreal.envs``; see :mod:`simreal.envs.registry` for the list.
"""
