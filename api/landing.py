"""The landing page: what Meguri is, and the way in for residents, shops and city staff."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api import web

router = APIRouter()


@router.get("/", name="landing", response_class=HTMLResponse, include_in_schema=False)
async def landing(request: Request) -> HTMLResponse:
    return web.render(request, "landing.html")
