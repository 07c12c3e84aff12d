"""Locate the MJCF models and textures shipped with simreal.

The files live in the repository's top-level ``assets/`` folder. A regular
install (``pip install .``) copies them into the package as ``simreal/assets/``;
an editable install (``pip install -e .``) leaves them in the checkout, one
level above the ``simreal/`` source folder. Both places are searched.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
SEARCHED_DIRS: tuple[Path, ...] = (_PACKAGE_DIR / "assets", _PACKAGE_DIR.parent / "assets")


def asset_path(name: str) -> Path:
    """Return the path of one shipped asset file.

    Args:
        name: File name relative to the assets folder, e.g. ``"pendulum.xml"``.

    Returns:
        The absolute path of the file.

    Raises:
        FileNotFoundError: If the file is in none of the searched folders; the
            message names every path searched.
    """
    candidates = [directory / name for directory in SEARCHED_DIRS]
    for path in candidates:
        if path.is_file():
            return path
    searched = ", ".join(str(p) for p in candidates)
    raise FileNotFoundError(
        f"simreal asset {name!r} not found; searched: {searched}. "
        "Reinstall simreal from a complete checkout (`pip install .`)."
    )
