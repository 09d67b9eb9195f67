# SPDX-License-Identifier: GPL-2.0-or-later
"""NEST-free science: one subpackage per model family (``temporal_memory``,
``pattern_sequences``, ``coincidence``), the tasks they learn (``tasks``), sweeps
(``sweep``) and what every family shares: run directories (``rundir``), the report
toolkit (``html``), statistics (``stats``) and Elephant analyses (``analysis``).
No family imports another, and the shared modules import no family."""
