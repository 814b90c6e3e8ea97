"""``python -m civicgrid``: the same as the ``civicgrid`` command."""

import sys

from civicgrid.cli import main

sys.exit(main())
