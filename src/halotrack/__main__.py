"""`python -m halotrack` is the same as the `halotrack` command."""

import sys

from halotrack.cli import main

sys.exit(main())
