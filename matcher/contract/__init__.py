"""The data contract: column names, file reading and writing, profile rules, eligibility.

Everything here is fixed by ``CONTRACT.md`` sections 1 to 4: what a file must hold
(:mod:`~matcher.contract.columns`, :mod:`~matcher.contract.tables`), what a valid
profile is (:mod:`~matcher.contract.profile_rules`, the one owner of those rules) and
which project types a person may be offered (:mod:`~matcher.contract.eligibility`).
"""
