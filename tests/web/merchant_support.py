"""Builders for the shop app's browser tests: a shop with its owner (and clerk), residents
with coins, their one-time codes as the wallet serves them, a fake camera file."""

from __future__ import annotations

import base64
import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

from currency.merchants import users as shop_users
from currency.merchants.models import merchant
from currency.users.models import user
from tests.currency.auth.support import PASSWORD, PIN, add_resident, add_user, set_user
from tests.factories import Books
from tests.web.live import CHROMIUM, CHROMIUM_ARGS, LiveApp, watch

OWNER_PIN = "390417"
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class ShopPeople:
    owner: str  # username
    clerk: str
    merchant_id: int
    code: str
    account_id: int


@dataclass(frozen=True)
class Customer:
    number: str
    wallet: int


def open_shop(live: LiveApp) -> ShopPeople:
    """A shop with an owner (refund PIN set) and a clerk, all with the test password."""

    async def build(books: Books) -> ShopPeople:
        owner = await add_user(books, role="merchant_owner")
        clerk = await add_user(books, role="merchant_clerk")
        merchant_id = await books.session.scalar(
            sa.select(user.c.merchant_id).where(
                user.c.currency_id == books.currency_id, user.c.id == owner.id
            )
        )
        await set_user(books, clerk.id, merchant_id=merchant_id)
        await shop_users.set_owner_pin(
            books.session, currency_id=books.currency_id, user_id=owner.id,
            current_password=PASSWORD, pin=OWNER_PIN, now=datetime.now(UTC),
        )  # fmt: skip
        row = (
            await books.session.execute(
                sa.select(merchant.c.code, merchant.c.account_id).where(
                    merchant.c.currency_id == books.currency_id, merchant.c.id == merchant_id
                )
            )
        ).one()
        return ShopPeople(owner.username, clerk.username, int(merchant_id or 0), *row)

    return live.books(build)


def customer(live: LiveApp, coins: int) -> Customer:
    async def build(books: Books) -> Customer:
        person = await add_resident(books)
        await books.charge(person.wallet, coins)
        return Customer(person.number, person.wallet)

    return live.books(build)


def balance(live: LiveApp, account_id: int) -> int:
    async def read(books: Books) -> int:
        return await books.balance(account_id)

    return live.books(read)


def payment_code(live: LiveApp, who: Customer) -> tuple[str, bytes]:
    """The resident's one-time code as the wallet serves it: its text and its PNG."""
    with httpx.Client(base_url=live.base_url) as http:
        signed = http.post("/v1/auth/resident", json={"resident_number": who.number, "pin": PIN})
        assert signed.status_code == 200, signed.text
        headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
        made = http.post("/v1/me/payment-token", headers=headers)
        assert made.status_code == 201, made.text
    body = made.json()
    png = base64.b64decode(body["qr_png"].split(",", 1)[1])
    return str(body["token"]), png


def pay_through_api(live: LiveApp, shop: ShopPeople, who: Customer, amount: int) -> int:
    """A payment the shop takes through the JSON API (not the page): its operation id."""
    token, _ = payment_code(live, who)
    with httpx.Client(base_url=live.base_url) as http:
        signed = http.post("/v1/auth/login", json={"username": shop.owner, "password": PASSWORD})
        headers = {
            "Authorization": f"Bearer {signed.json()['access_token']}",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        paid = http.post(
            "/v1/merchant/payments", json={"payment_token": token, "amount": amount},
            headers=headers,
        )  # fmt: skip
    assert paid.status_code == 201, paid.text
    return int(paid.json()["operation_id"])


def write_y4m(png: bytes, path: Path) -> Path:
    """A fake camera file showing the QR image (TESTING.md): 640×480, 4:2:0, two frames."""
    qr = Image.open(io.BytesIO(png)).convert("RGB")
    side = min(440, max(qr.width, qr.height))
    qr = qr.resize((side, side), Image.Resampling.NEAREST)
    canvas = Image.new("RGB", (640, 480), "white")
    canvas.paste(qr, ((640 - side) // 2, (480 - side) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (320, 240)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with path.open("wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F5:1 Ip A1:1 C420jpeg\n")
        for _ in range(2):
            out.write(b"FRAME\n" + planes)
    return path.resolve()


@contextmanager
def camera_browser(y4m: Path) -> Iterator[Browser]:
    """A Chromium of its own whose camera shows ``y4m``."""
    flags = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={y4m}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *flags]
        )
        try:
            yield launched
        finally:
            launched.close()


class Watched:
    """Script errors and CSP violations a page logs (there must be none)."""

    def __init__(self, page: Page) -> None:
        self.problems = watch(page)


def sign_in(page: Page, live: LiveApp, username: str) -> None:
    page.goto(f"{live.base_url}/merchant/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url("**/merchant/start")


def type_digits(page: Page, keypad: str, digits: str) -> None:
    for digit in digits:
        page.click(f"#{keypad} [data-key='{digit}']")
