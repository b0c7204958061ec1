"""``python -m releasegate``: the same as the ``releasegate`` console script."""

from releasegate.cli import main

raise SystemExit(main())
