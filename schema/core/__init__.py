"""What every domain's GraphQL types share: context-free relay, scalars, errors, limits, pages."""
