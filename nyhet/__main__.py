"""``python -m nyhet``."""

from nyhet.cli import main

raise SystemExit(main())
