"""Load a ``simreal collect --format lerobot`` dataset with LeRobot's own ``LeRobotDataset``.

LeRobot pins a torch that simreal's environment does not hold, so this runs in a
virtual environment of its own (see make_lerobot_fixture.py):

    simreal collect --task simreal/Reach-v0 --episodes 2 --format lerobot --out /tmp/reach_lr
    HF_HUB_OFFLINE=1 python tests/data/check_lerobot_loads.py /tmp/reach_lr

It prints the episode and frame counts, one frame's features, and the statistics' keys.
"""

import sys

from lerobot.datasets.lerobot_dataset import LeRobotDataset

dataset = LeRobotDataset("simreal/demo", root=sys.argv[1])
print("episodes", dataset.num_episodes, "frames", dataset.num_frames, "fps", dataset.fps)
item = dataset[150]
print({k: (tuple(v.shape) if hasattr(v, "shape") else v) for k, v in item.items()})
print("task", item["task"], "episode", int(item["episode_index"]),
      "frame", int(item["frame_index"]))  # fmt: skip
print("stats", list(dataset.meta.stats["action"]))
