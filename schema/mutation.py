"""The root Mutation: every domain's mutations under one type."""

from __future__ import annotations

import strawberry

from schema.mutations.cases import CaseMutations


@strawberry.type
class Mutation(CaseMutations):
    pass
