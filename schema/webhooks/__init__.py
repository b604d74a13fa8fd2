"""The GraphQL face of webhooks: registering endpoints, their delivery logs, redelivery."""
