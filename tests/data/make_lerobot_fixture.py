"""Write tests/data/lerobot_v3_written_by_lerobot with LeRobot's own writer.

LeRobot pins a torch that simreal's environment does not hold, so this runs once, in a
virtual environment of its own (lerobot 0.4.4, installed with --no-deps beside datasets,
pandas, huggingface_hub, accelerate and einops):

    cd tests/data && HF_HUB_OFFLINE=1 python make_lerobot_fixture.py lerobot_v3_written_by_lerobot

Two episodes (7 and 5 frames) of an arm with Reach's joint names, as a LeRobot SO-101
names its motors (``<joint>.pos``): state entry j of episode e at frame t is
``j + 10 e + 0.1 t``, the action its negative.
"""

import shutil
import sys
from pathlib import Path

import numpy as np
from lerobot.datasets.lerobot_dataset import LeRobotDataset

root = Path(sys.argv[1])
if root.exists():
    shutil.rmtree(root)
names = ["base_yaw.pos", "shoulder.pos", "elbow.pos"]
features = {
    "observation.state": {"dtype": "float32", "shape": (3,), "names": names},
    "action": {"dtype": "float32", "shape": (3,), "names": names},
}
ds = LeRobotDataset.create(repo_id="simreal/fixture", fps=50, features=features, root=root,
                           robot_type="so101_follower", use_videos=False)  # fmt: skip
for episode, length in enumerate((7, 5)):
    for t in range(length):
        state = (np.arange(3) + 10 * episode + 0.1 * t).astype(np.float32)
        ds.add_frame({"observation.state": state, "action": -state, "task": "reach the red ball"})
    ds.save_episode()
ds.finalize()
print("written", sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()))
