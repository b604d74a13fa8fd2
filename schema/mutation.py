"""The root Mutation: every domain's mutations under one type."""

from __future__ import annotations

import strawberry

from schema.mutations.cases import CaseMutations
from schema.mutations.whistles import WhistleMutations


@strawberry.type
class Mutation(CaseMutations, WhistleMutations):
    pass
