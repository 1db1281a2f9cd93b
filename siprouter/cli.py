"""Command-line entry point (placeholder until the foundation CLI lands)."""


def main(argv=None) -> int:
    return 0
