"""``python -m siprouter`` is the same as the ``siprouter`` command."""
from siprouter.cli import main

raise SystemExit(main())
