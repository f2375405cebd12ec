"""`python -m simulator` is the `defuse` command."""
import sys

from .cli import main

sys.exit(main())
