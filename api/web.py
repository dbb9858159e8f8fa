"""The shared web shell: one template loader, Babel catalogues, locale and contrast choice.

Every page of wallet/, merchant_app/ and admin/ renders through `render()`. Their templates
are found by path, so this module never imports the page packages (they import it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.types import Scope

API_DIR = Path(__file__).resolve().parent
STATIC_DIR = API_DIR / "static"
LOCALES_DIR = API_DIR / "locales"
PAGE_PACKAGES = ("wallet", "merchant_app", "admin")
TEMPLATE_DIRS = (API_DIR / "templates", *(API_DIR.parent / p / "templates" for p in PAGE_PACKAGES))

LOCALES = ("ja", "en")
DEFAULT_LOCALE = "ja"
LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}
CONTRASTS = ("high", "normal")
LANG_COOKIE = "meguri_lang"
CONTRAST_COOKIE = "meguri_contrast"
COOKIE_MAX_AGE = 60 * 60 * 24 * 365


def N_(message: str) -> str:
    """Mark a message for the catalogue; translate it later with `gettext(request, ...)`."""
    return message


@dataclass(frozen=True)
class Preferences:
    locale: str
    contrast: str | None  # None: the visitor has not chosen


# The shell's catalogue first, then each page set's own (wallet/locales/… when it has one),
# so the three page sets keep their messages apart (a message lives in one file only:
# tests/web/test_pages.py checks it).
CATALOGUE_DIRS = (LOCALES_DIR, *(API_DIR.parent / p / "locales" for p in PAGE_PACKAGES))


def _compile_po(path: Path, locale: str) -> Translations:
    """Read a .po file and compile it in memory, so no binary .mo is kept in the repo."""
    with path.open("rb") as po:
        catalogue = read_po(po, locale=locale)
    mo = BytesIO()
    write_mo(mo, catalogue)
    mo.seek(0)
    return Translations(fp=mo)


def catalogue_files(locale: str) -> list[Path]:
    """Every .po file of a locale: the shell's, then each page set's (any names, in order)."""
    return [
        path
        for directory in CATALOGUE_DIRS
        for path in sorted((directory / locale / "LC_MESSAGES").glob("*.po"))
    ]


def _compile_catalogue(locale: str) -> Translations:
    merged = Translations()
    for path in catalogue_files(locale):
        merged.merge(_compile_po(path, locale))
    return merged


CATALOGUES: dict[str, Translations] = {locale: _compile_catalogue(locale) for locale in LOCALES}


def default_locale(request: Request) -> str:
    settings = getattr(request.app.state, "settings", None)
    locale = getattr(settings, "locale", None)
    return locale if locale in LOCALES else DEFAULT_LOCALE


def preferences(request: Request) -> Preferences:
    """`?lang=` / `?contrast=` win, then the visitor's cookies, then the defaults."""
    locale = _first_valid(request, "lang", LANG_COOKIE, LOCALES) or default_locale(request)
    contrast = _first_valid(request, "contrast", CONTRAST_COOKIE, CONTRASTS)
    return Preferences(locale=locale, contrast=contrast)


def _first_valid(request: Request, param: str, cookie: str, allowed: tuple[str, ...]) -> str | None:
    for candidate in (request.query_params.get(param), request.cookies.get(cookie)):
        if candidate in allowed:
            return candidate
    return None


def gettext(request: Request, message: str) -> str:
    """Translate a message (marked with `N_`) into the request's language, as plain text."""
    return CATALOGUES[preferences(request).locale].gettext(message)


@pass_context
def _template_gettext(context: Context, message: str) -> str:
    return CATALOGUES[context["locale"]].gettext(message)


@pass_context
def _template_ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return CATALOGUES[context["locale"]].ngettext(singular, plural, n)


def amount(value: int, unit: str = "") -> str:
    """`1234567, "pt"` -> `1,234,567 pt`; a no-break space keeps the unit with its number."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"amounts are integers, not {type(value).__name__}")
    return f"{value:,}\u00a0{unit}" if unit else f"{value:,}"


@cache
def _asset_version(name: str) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


@pass_context
def asset_url(context: Context, name: str) -> str:
    """Path of a file under /static with a content hash, so a new release is never stale."""
    path = context["request"].url_for("static", path=name).path
    return f"{path}?v={_asset_version(name)}"


def _build_environment() -> Environment:
    loaders = [FileSystemLoader(str(directory)) for directory in TEMPLATE_DIRS]
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(default_for_string=True, default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(_template_gettext, _template_ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["amount"] = amount
    env.globals["asset_url"] = asset_url
    return env


templates = Jinja2Templates(env=_build_environment())


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page inside the shared shell, in the visitor's language and contrast."""
    prefs = preferences(request)
    full_context = {**shell_context(request, prefs), **(context or {})}
    response = templates.TemplateResponse(request, template, full_context, status_code=status_code)
    _remember_choices(request, response)
    return response


def shell_context(request: Request, prefs: Preferences) -> dict[str, Any]:
    other_locale = "en" if prefs.locale == "ja" else "ja"
    next_contrast = "normal" if prefs.contrast == "high" else "high"
    return {
        "locale": prefs.locale,
        "contrast": prefs.contrast,
        "theme_class": f"theme-{prefs.contrast}" if prefs.contrast else "",
        "other_locale": other_locale,
        "other_locale_name": LANGUAGE_NAMES[other_locale],
        "lang_switch_url": _self_url(request, lang=other_locale),
        "next_contrast": next_contrast,
        "contrast_switch_url": _self_url(request, contrast=next_contrast),
        "status_message": "",
        "status_kind": "info",
    }


def _self_url(request: Request, **changes: str) -> str:
    """This page's own path with some query parameters changed (same origin, relative)."""
    params = {**request.query_params, **changes}
    return f"{request.url.path}?{urlencode(params)}"


def _remember_choices(request: Request, response: HTMLResponse) -> None:
    secure = request.url.scheme == "https"
    lang = request.query_params.get("lang")
    if lang in LOCALES:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=COOKIE_MAX_AGE, httponly=True, secure=secure, samesite="lax"
        )
    contrast = request.query_params.get("contrast")
    if contrast in CONTRASTS:
        # A display preference, not a secret: meguri.js may switch it without a reload.
        response.set_cookie(
            CONTRAST_COOKIE, contrast, max_age=COOKIE_MAX_AGE, secure=secure, samesite="lax"
        )


class VersionedStaticFiles(StaticFiles):
    """A file asked for with its content hash (`asset_url`: `?v=…`) never changes: cache it
    for a year. Without one (a module importing "/static/meguri.js"), the browser checks
    again each time (ETag), so a new release is never served stale."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        versioned = b"v=" in scope.get("query_string", b"")
        response.headers["Cache-Control"] = (
            "public, max-age=31536000, immutable" if versioned else "no-cache"
        )
        return response


def static_files() -> StaticFiles:
    """The shared CSS/JS, to be mounted at /static with the name "static"."""
    return VersionedStaticFiles(directory=STATIC_DIR)
