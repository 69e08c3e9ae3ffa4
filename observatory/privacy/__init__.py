"""Disclosure control: the one place where a caller's role changes an answer.

policy.py says who may be told what (query spaces, display rule, audit); release.py,
publication.py and partner.py build, store and serve the partner release (differential privacy
with OpenDP); domain.py fixes the cells a release counts in; consistency.py makes noisy counts
one set of non-negative integers.
"""
