"""Merchant app pages. Until sign-in lands, the entry page explains the section honestly."""

from api import web

router = web.entry_pages("merchant", "merchant/welcome.html")
