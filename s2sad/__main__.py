"""``python -m s2sad`` runs the command-line interface."""

from .cli import main

raise SystemExit(main())
