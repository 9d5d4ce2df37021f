"""`python -m facilitator` runs the same command line as the `facilitator` script."""

from facilitator.cli import main

raise SystemExit(main())
