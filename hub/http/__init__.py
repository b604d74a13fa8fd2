"""HTTP transport of the hub: GraphQL over HTTP on Starlette (see ``graphql_http``)."""

from hub.http.graphql_http import (
    ContextFactory,
    GraphQLHTTPEndpoint,
    GraphQLParams,
    RequestRejected,
)

__all__ = ["ContextFactory", "GraphQLHTTPEndpoint", "GraphQLParams", "RequestRejected"]
