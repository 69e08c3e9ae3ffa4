"""``python -m ingest.synthetic``: see `ingest.synthetic.cli`."""

import sys

from ingest.synthetic.cli import main

if __name__ == "__main__":
    sys.exit(main())
