"""Tests of the GraphQL-over-HTTP endpoint (hub.http)."""
