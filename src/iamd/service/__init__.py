"""Operation handlers, one module per resource family.

A handler is `fn(ctx, params) -> dict | None` registered with `@operation("Name")`: it
receives the parsed, validated input and a transaction in `ctx`, and returns the output
shape as plain data. It never sees XML or HTTP.
"""
