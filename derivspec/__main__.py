"""``python -m derivspec``: the same as the ``derivspec`` command."""

import sys

from derivspec.app.cli import main

sys.exit(main())
