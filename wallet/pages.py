"""Resident wallet pages. Until sign-in lands, the entry page explains the wallet honestly."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api import web

router = APIRouter()
WELCOME = "wallet/welcome.html"


@router.get("/", name="wallet_home", response_class=HTMLResponse, include_in_schema=False)
async def home(request: Request) -> HTMLResponse:
    return web.render(request, WELCOME)


@router.post("/", name="wallet_sign_in", response_class=HTMLResponse, include_in_schema=False)
async def sign_in(request: Request) -> HTMLResponse:
    """Sign-in is not built yet: say so plainly (503) rather than pretend to check anything."""
    message = web.gettext(request, web.SIGN_IN_UNAVAILABLE)
    context = {"status_message": message, "status_kind": "warning"}
    return web.render(request, WELCOME, context, status_code=503)
