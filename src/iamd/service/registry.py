"""The table from action name to handler, filled by `@operation` at import time."""

import importlib
import pkgutil
from dataclasses import dataclass, field

HANDLERS: dict[str, object] = {}


def operation(name: str):
    def register(fn):
        if name in HANDLERS:
            raise RuntimeError(f"two handlers for {name}")
        HANDLERS[name] = fn
        return fn
    return register


def load_handlers() -> dict:
    from .. import service
    for info in pkgutil.iter_modules(service.__path__):
        if info.name not in ("registry",):
            importlib.import_module(f"{service.__name__}.{info.name}")
    return HANDLERS


@dataclass
class Context:
    """What a handler may use: its transaction, the caller and the server's services."""

    tx: object
    caller: object
    account_id: str
    region: str
    request_id: str
    now: float
    app: object = None  # server.state.AppState: store, secret box, resolver, settings
    extra: dict = field(default_factory=dict)
