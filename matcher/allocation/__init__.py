"""Sharing a budget envelope across a cohort.

:mod:`~matcher.allocation.problem` states and checks the problem and returns the
allocation; :mod:`~matcher.allocation.solvers` holds the exact and greedy solvers;
:mod:`~matcher.allocation.report` summarises and draws it; :mod:`~matcher.allocation.cohort_file`
runs it on a cohort file.
"""
