"""Retake the README's screenshots from a running help center (`make run`).

    .venv/bin/python tools/screenshots.py [http://127.0.0.1:5000]

Writes docs/screenshot.png (the Azerbaijani home page on a 1280 px desktop) and
docs/phone-article.png, docs/phone-contact.png, docs/phone-status.png (a 390 px phone). The
status page belongs to a request this script files through the contact form, so run it
against a development database, never production. Needs Chromium (/usr/bin/chromium).
"""

import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

DOCS = Path(__file__).resolve().parent.parent / "docs"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}


def main(base: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        desktop = browser.new_page(viewport={"width": 1280, "height": 900})
        desktop.goto(f"{base}/az/")
        desktop.screenshot(path=DOCS / "screenshot.png")

        phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
        page = phone.new_page()
        page.goto(f"{base}/az/deposits-withdrawals/withdrawal-times/")
        page.screenshot(path=DOCS / "phone-article.png")

        page.goto(f"{base}/az/contact?topic=payments")
        page.screenshot(path=DOCS / "phone-contact.png")
        page.fill("#subject", "Pul çıxarışı 3 gündür gəlmir")
        page.fill(
            "#description",
            "Bazar ertəsi 200 AZN çıxarış sifariş etdim, status hələ də «Emal olunur»dur.",
        )
        page.fill("#transaction_id", "TX-20261207-1")
        page.fill("#email", "player@example.com")
        page.check("#consent")
        page.get_by_role("button", name="Müraciəti göndər").click()
        page.locator("a.private-url").click()
        expect(page.locator("h1")).to_be_visible()
        page.screenshot(path=DOCS / "phone-status.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
