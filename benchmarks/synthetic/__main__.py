"""``python -m benchmarks.synthetic``: see `benchmarks.synthetic.cli`."""

import sys

from benchmarks.synthetic.cli import main

if __name__ == "__main__":
    sys.exit(main())
