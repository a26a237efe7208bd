#!/usr/bin/env python
"""Django's command-line utility; `ckm` is the same with a shorter name."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from ckm.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
