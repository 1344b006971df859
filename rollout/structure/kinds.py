"""The structure kinds, registered with the import jobs when the app is ready."""

from rollout.jobs.registry import register

from . import branchlist, tree, unitlist

KINDS = [register(tree.KIND), register(branchlist.KIND), register(unitlist.KIND)]
