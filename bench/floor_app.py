"""The framework's floor: a trivial FastAPI app, served like the real API.

``uvicorn bench.floor_app:app`` (run from the repo root; ``bench_http.py --floor``
starts it). ``POST /echo`` is a sync route (run in the thread pool, like
``POST /v1/recommendations``) and ``POST /echo-async`` an ``async`` one; both
validate a small JSON body with pydantic and echo it back. No auth, no model,
no database, no middleware: what is left is uvicorn + Starlette + FastAPI +
pydantic on this machine.
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI(title="floor")


class Ping(BaseModel):
    """A small body."""

    beneficiary_id: str
    age: int
    region_id: str
    top_k: int = 5


@app.post("/echo")
def echo(body: Ping) -> dict[str, object]:
    """Echo the body (sync route, thread pool)."""
    return {"echo": body.model_dump(), "ok": True}


@app.post("/echo-async")
async def echo_async(body: Ping) -> dict[str, object]:
    """Echo the body (async route, event loop)."""
    return {"echo": body.model_dump(), "ok": True}


@app.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness."""
    return {"status": "ok"}
