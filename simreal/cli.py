"""The ``simreal`` command line (stub replaced below)."""


def main() -> int:
    return 0
