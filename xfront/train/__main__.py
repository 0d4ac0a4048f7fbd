"""``python -m xfront.train``: the ``xfront-train`` console script."""

import sys

from xfront.train.cli import main

if __name__ == "__main__":
    sys.exit(main())
