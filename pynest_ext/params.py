# SPDX-License-Identifier: GPL-2.0-or-later
"""Moved to :mod:`seqnest.params` (the NEST-free parameter core); this name stays so
that scripts written against it keep working."""
from seqnest.params import *  # noqa: F401,F403
from seqnest.params import __all__  # noqa: F401
