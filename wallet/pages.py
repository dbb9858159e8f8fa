"""Resident wallet pages (/wallet), phone-first: one thing per screen, large text.

Page ids (stable; other tests rely on them): sign-in (#pin-sign-in, #passkey-button),
activate, home (#balance, #expiry), code (#payment-code, #countdown), pay-amount
(#shop-name, #keypad, #amount), pay-confirm (#confirm-amount, #pay-button), pay-done
(#pay-done[data-operation-id], #live-clock), history (#history-filters, #history-list,
#history-more), send, send-confirm, send-done, card (#card-status, #block-card), settings.
"""

from fastapi import APIRouter

from wallet import card, code, history, home, pay, send, settings, sign_in

router = APIRouter()
for part in (home, sign_in, code, pay, history, send, card, settings):
    router.include_router(part.router)
