"""The HTTP layer: routes, handlers, JSON schemas and the one error -> HTTP table."""
