"""The unit tree: province → departments/districts → communes, any depth.

No blueprint or hooks of its own (the tree's pages live in lms.admin), so it is
not in ``lms.FEATURES``.
"""
