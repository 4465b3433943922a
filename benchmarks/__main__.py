"""`python -m benchmarks`: run the streaming benchmark (options: `--help`)."""

import sys

from .run import main

sys.exit(main())
