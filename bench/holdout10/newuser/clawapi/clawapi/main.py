"""``uvicorn clawapi.main:app``"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from . import __version__
from .gateway import Gateway
from .routes import router


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.gateway = Gateway.from_env()
    app.state.state_dir = Path(os.environ.get("OPENCLAW_STATE_DIR", "~/.openclaw")).expanduser()
    try:
        yield
    finally:
        await app.state.gateway.aclose()


app = FastAPI(title="clawapi", version=__version__, lifespan=lifespan)
app.include_router(router, prefix="/api")


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
