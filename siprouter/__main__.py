"""``python -m siprouter`` is the same as the ``siprouter`` command."""
from siprouter.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
