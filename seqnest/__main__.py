# SPDX-License-Identifier: GPL-2.0-or-later
"""``python -m seqnest``: the command line."""
import sys

from seqnest.cli import main

sys.exit(main())
