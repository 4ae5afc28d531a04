"""`python -m analytics.cli ...`: the same command as the `internships` console script."""

import sys

from analytics.cli import main

sys.exit(main())
