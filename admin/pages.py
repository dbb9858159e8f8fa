"""City staff console. Until sign-in lands, the entry page explains the section honestly."""

from api import web

router = web.entry_pages("admin", "admin/welcome.html")
