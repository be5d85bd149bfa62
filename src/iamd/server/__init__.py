"""The HTTP side: the ASGI app and its request pipeline, bootstrap, settings."""
