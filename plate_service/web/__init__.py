"""The HTTP layer: routes, handlers, request validation, OpenAPI and the error middleware."""
