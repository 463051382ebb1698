"""Xero's own OpenAPI documents, loaded once per process, that the sandbox holds every request and response to.

The accounting spec takes about half a second to load, so each document is built once and cached;
`load_seconds` records how long each took. Validation is serialised: openapi-core is not documented thread-safe.
"""

from __future__ import annotations

import threading
import time
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_DIR = Path(__file__).with_name("openapi")
SPECS = {
    "accounting": ("xero_accounting.yaml", "/api.xro/2.0"),
    "finance": ("xero-finance.yaml", "/finance.xro/1.0"),
    "identity": ("xero-identity.yaml", ""),
}
XERO_HOST = "https://api.xero.com"
# Only these statuses have contracts in Xero's documents; 401/403/404/429/5xx are described nowhere.
DESCRIBED_STATUSES = frozenset({200, 204, 400})

load_seconds: dict[str, float] = {}
_lock = threading.Lock()


@dataclass(slots=True)
class SpecRequest:
    """A request as openapi-core reads it, addressed to api.xero.com so the documents' server URLs match.

    Mutable: openapi-core writes the resolved path parameters back into `parameters`."""

    host_url: str
    path: str
    method: str
    parameters: RequestParameters
    content_type: str
    body: bytes | None


@dataclass(frozen=True, slots=True)
class SpecResponse:
    status_code: int
    headers: Headers
    content_type: str
    data: bytes | None


@cache
def spec(name: str) -> OpenAPI:
    """The named document, built once. The accounting one fails strict validation only on string boolean
    defaults ('false'), so the document check is skipped; request/response checks stay strict."""
    filename, _ = SPECS[name]
    started = time.monotonic()
    api = OpenAPI.from_file_path(str(SPEC_DIR / filename), config=Config(spec_validator_cls=None))
    load_seconds[name] = round(time.monotonic() - started, 3)
    return api


def spec_for(path: str) -> str | None:
    """Which document describes `path` (a path on the sandbox, same as on api.xero.com)."""
    if path.startswith("/api.xro/2.0/"):
        return "accounting"
    if path.startswith("/finance.xro/1.0/"):
        return "finance"
    if path.startswith("/Connections"):
        return "identity"
    return None


def make_request(
    path: str, method: str, query: ImmutableMultiDict[str, str], headers: Headers, content_type: str, body: bytes
) -> SpecRequest:
    return SpecRequest(
        host_url=XERO_HOST,
        path=path,
        method=method.lower(),
        parameters=RequestParameters(query=query, header=headers),
        content_type=content_type,
        body=body or None,
    )


def request_problem(name: str, request: SpecRequest) -> str | None:
    """None when the request honours the document, else what is wrong."""
    return _check(lambda: spec(name).validate_request(request))


def response_problem(name: str, request: SpecRequest, response: SpecResponse) -> str | None:
    if response.status_code not in DESCRIBED_STATUSES:
        return None
    return _check(lambda: spec(name).validate_response(request, response))


def _check(run: Any) -> str | None:
    with _lock, warnings.catch_warnings():
        # openapi-core warns that it cannot check the OAuth2 scheme; security is the sandbox's own business.
        warnings.simplefilter("ignore", UserWarning)
        try:
            run()
        except Exception as exc:  # openapi-core raises a family of types; every one is a contract problem
            return _describe(exc)
    return None


def _describe(exc: BaseException) -> str:
    """The schema errors with their JSON paths (short), else the exception text."""
    found: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and not found:
        for err in getattr(seen, "schema_errors", ()) or ():
            for leaf in getattr(err, "context", None) or [err]:
                where = "/".join(str(p) for p in getattr(leaf, "absolute_path", ()))
                found.append(f"{where or '(body)'}: {getattr(leaf, 'message', leaf)}"[:300])
        seen = seen.__cause__ or seen.__context__
    detail = "; ".join(found[:5]) if found else str(exc)[:600]
    return f"{type(exc).__name__}: {detail}"
