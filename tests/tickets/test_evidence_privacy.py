"""Players' evidence stays private: files are kept without metadata, as a person sees them.

A photo's EXIF GPS, a PNG's text and a PDF's author are gone from what staff download; the
picture and the pages are not; the hash of what arrived is on the staff ticket page; and the
download keeps its own sandboxing policy.
"""

import hashlib
import io
import re

import pikepdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import (
    Image,
    ImageChops,
    ImageCms,
    ImageOps,
    ImageStat,
    JpegImagePlugin,
    PngImagePlugin,
)
from sqlalchemy import select

from helpcenter.extensions import db
from helpcenter.tickets import services, states
from helpcenter.tickets.models import Attachment, Ticket
from helpcenter.tickets.uploads import UploadRefused, check, clean
from tests.contact.conftest import Player, file_ticket, opened, post_multipart, text
from tests.staff.conftest import StaffActions, accounts  # noqa: F401 (a fixture)

# HTTP contracts, pages and input checks: the database does not change them: once
# (tests/conftest.py).
pytestmark = pytest.mark.one_database

GPS_IFD = 0x8825
ORIENTATION = 0x0112
SANDBOX = "default-src 'none'; sandbox"
STAFF = services.Actor(states.STAFF, "Rəşad", "supervisor")


# Evidence, made for real


def photo(size=(96, 64)) -> Image.Image:
    """Something like a photo: smooth colour with a few edges (noise would defeat JPEG)."""
    width, height = size
    red = Image.linear_gradient("L").resize(size)
    green = Image.radial_gradient("L").resize(size)
    blue = Image.new("L", size, 90)
    image = Image.merge("RGB", (red, green, blue))
    image.paste((250, 30, 30), (0, 0, width // 3, height // 3))  # the top left corner is red
    return image


def gps_jpeg(image: Image.Image | None = None, orientation: int | None = None) -> bytes:
    """A JPEG whose EXIF says where and on what it was taken (Baku), and a comment."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Phone 12"
    if orientation:
        exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (40.0, 24.0, 36.0), 3: "E", 4: (49.0, 52.0, 12.0)})
    out = io.BytesIO()
    (image or photo()).save(out, "JPEG", quality=95, exif=exif, comment=b"taken at home")
    return out.getvalue()


def texted_png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Aysel Məmmədova")
    info.add_itxt("Comment", "my home address", lang="en")
    out = io.BytesIO()
    photo().convert("RGBA").save(out, "PNG", pnginfo=info)
    return out.getvalue()


def authored_pdf(pages: int = 2) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["dc:creator"] = ["Aysel Memmedova"]
        meta["xmp:CreatorTool"] = "HomeScanner 3000"
    pdf.docinfo["/Author"] = "Aysel Məmmədova"
    pdf.docinfo["/Producer"] = "Scanner at home"
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def decoded(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image


def assert_looks_the_same(got: Image.Image, expected: Image.Image, mean=1.5, most=32) -> None:
    """The same size and mode, and pixels within `most` of each other and `mean` on average.

    A JPEG encoded again differs by under 1 on average; at most about 30 of 255 at the edge of
    saturated red, where the colour (at half resolution, as sent) is blurred once more.
    """
    assert (got.size, got.mode) == (expected.size, expected.mode)
    if most == 0:
        assert got.tobytes() == expected.tobytes() and got.getpalette() == expected.getpalette()
        return
    difference = ImageChops.difference(got, expected)
    extrema = difference.getextrema()
    highs = [extrema[1]] if len(difference.getbands()) == 1 else [high for _, high in extrema]
    assert max(highs) <= most
    assert max(ImageStat.Stat(difference).mean) <= mean


# Through the real pages


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield app


@pytest.fixture
def staff(app, client, accounts):  # noqa: F811 (the fixture imported above)
    console = StaffActions(client)
    assert console.login("supervisor").status_code == 303
    return client


def filed_through_the_form(client, name: str, data: bytes) -> Attachment:
    player = Player(client)
    assert player.contact(files=[(name, data)]).status_code == 303
    return db.session.scalars(select(Attachment)).one()


def replied_on_the_status_page(client, name: str, data: bytes) -> Attachment:
    filed = file_ticket()
    services.reply(filed.ticket, STAFF, "Send the photo of the receipt, please.", wait=True)
    path = opened(client, filed)
    token = re.search(r'name="reply-csrf_token"[^>]*value="([^"]+)"', text(client.get(path)))
    data = {
        "reply-csrf_token": token.group(1),
        "reply-body": "Here it is.",
        "reply-attachments": [(io.BytesIO(data), name)],
    }
    assert post_multipart(client, path + "/reply", data).status_code == 303
    return db.session.scalars(select(Attachment)).one()


def download(staff_client, attachment: Attachment):
    ref = db.session.get(Ticket, attachment.ticket_id).reference
    response = staff_client.get(f"/staff/tickets/{ref}/files/{attachment.id}")
    assert response.status_code == 200
    return response


SENDS = {"contact form": filed_through_the_form, "status reply": replied_on_the_status_page}


@pytest.mark.parametrize("send", SENDS.values(), ids=SENDS.keys())
def test_a_photo_downloads_without_its_gps_and_looks_the_same(ctx, loaded, client, staff, send):
    sent = gps_jpeg()
    assert decoded(sent).getexif().get_ifd(GPS_IFD)  # the test photo does say where
    attachment = send(client, "receipt.jpg", sent)
    got = download(staff, attachment)

    kept = decoded(got.data)
    assert kept.format == "JPEG" and got.mimetype == "image/jpeg"
    assert not kept.getexif() and "exif" not in kept.info
    assert "comment" not in kept.info
    assert b"PhoneMaker" not in got.data and b"taken at home" not in got.data
    assert_looks_the_same(kept, decoded(sent))
    assert attachment.size == len(got.data)


@pytest.mark.parametrize("send", SENDS.values(), ids=SENDS.keys())
def test_the_hash_of_what_arrived_is_recorded_and_shown_to_staff(ctx, loaded, client, staff, send):
    sent = gps_jpeg()
    attachment = send(client, "receipt.jpg", sent)
    received = hashlib.sha256(sent).hexdigest()
    assert attachment.received_sha256 == received
    got = download(staff, attachment)
    assert hashlib.sha256(got.data).hexdigest() != received  # what is kept is the clean copy

    ref = db.session.get(Ticket, attachment.ticket_id).reference
    page = text(staff.get(f"/staff/tickets/{ref}"))
    assert f"SHA-256 as received: <code>{received}</code>" in page


def test_a_png_loses_its_text_and_keeps_every_pixel(ctx, loaded, client, staff):
    sent = texted_png()
    assert decoded(sent).text  # the test PNG does carry text
    got = download(staff, filed_through_the_form(client, "screenshot.png", sent))
    kept = decoded(got.data)
    assert kept.format == "PNG"
    assert kept.text == {} and b"Aysel" not in got.data and b"home address" not in got.data
    assert_looks_the_same(kept, decoded(sent), mean=0, most=0)


def test_a_sideways_photo_comes_out_upright(ctx, loaded, client, staff):
    # Stored 96x64, shown turned a quarter to the right (orientation 6): 64x96.
    sent = gps_jpeg(photo(), orientation=6)
    seen = ImageOps.exif_transpose(decoded(sent))
    assert seen.size == (64, 96)
    got = download(staff, filed_through_the_form(client, "receipt.jpg", sent))
    kept = decoded(got.data)
    assert kept.size == (64, 96) and ORIENTATION not in kept.getexif()
    assert_looks_the_same(kept, seen)
    # The red corner is at the top right, where the viewer of the original saw it.
    red, green, _ = kept.getpixel((60, 3))
    assert red > 200 and green < 80


def test_a_pdf_loses_its_author_and_metadata_and_keeps_its_pages(ctx, loaded, client, staff):
    sent = authored_pdf(pages=3)
    with pikepdf.open(io.BytesIO(sent)) as original:
        assert original.docinfo["/Author"] == "Aysel Məmmədova" and "/Metadata" in original.Root
    got = download(staff, filed_through_the_form(client, "statement.pdf", sent))
    assert got.mimetype == "application/pdf"
    with pikepdf.open(io.BytesIO(got.data)) as kept:
        assert len(kept.pages) == 3
        assert "/Info" not in kept.trailer and "/Metadata" not in kept.Root
    for trace in (b"Aysel", b"Memmedova", b"HomeScanner", b"Scanner at home", b"Author"):
        assert trace not in got.data


def test_downloads_keep_their_sandboxing_policy(ctx, loaded, client, staff):
    got = download(staff, filed_through_the_form(client, "receipt.jpg", gps_jpeg()))
    assert got.headers["Content-Security-Policy"] == SANDBOX
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["Cache-Control"] == "no-store"
    # Pages around it keep the site's policy.
    page = staff.get("/staff/")
    assert page.headers["Content-Security-Policy"] != SANDBOX
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


# Every kind of picture keeps its mode, size, colour profile and transparency


def saved(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
PICTURES = {
    "RGB JPEG with ICC": saved(photo(), "JPEG", quality=95, icc_profile=SRGB),
    "grey JPEG": saved(photo().convert("L"), "JPEG", quality=95),
    "CMYK JPEG": saved(photo().convert("CMYK"), "JPEG", quality=95),
    "4:4:4 JPEG": saved(photo(), "JPEG", quality=95, subsampling=0),
    "palette PNG with transparency": saved(photo().convert("P"), "PNG", transparency=3),
    "grey and alpha PNG": saved(photo().convert("LA"), "PNG"),
    "16-bit grey PNG": saved(photo().convert("I;16"), "PNG"),
    "1-bit PNG": saved(photo().convert("1"), "PNG"),
    "RGB PNG with ICC": saved(photo(), "PNG", icc_profile=SRGB),
}


@pytest.mark.parametrize("sent", PICTURES.values(), ids=PICTURES.keys())
def test_a_cleaned_picture_keeps_what_a_person_sees(sent):
    checked, kept = clean(check(sent, "picture"), sent)
    assert checked.size == len(kept) and checked.sha256 == hashlib.sha256(sent).hexdigest()
    before, after = decoded(sent), decoded(kept)
    assert after.format == before.format
    assert after.info.get("icc_profile") == before.info.get("icc_profile")
    assert after.info.get("transparency") == before.info.get("transparency")
    if before.format == "PNG":
        assert_looks_the_same(after, before, mean=0, most=0)
    else:
        assert_looks_the_same(after, before)
        assert JpegImagePlugin.get_sampling(after) == JpegImagePlugin.get_sampling(before)
    assert check(kept, "picture").kind == checked.kind


# The PDF checks, fuzzed: a clear refusal or a clean copy, never anything else


def refused_or_cleaned(data: bytes) -> None:
    try:
        checked = check(data, "statement.pdf")
        cleaned_checked, cleaned = clean(checked, data)
    except UploadRefused:
        return
    assert cleaned.startswith((b"%PDF-1.", b"%PDF-2.")) and cleaned_checked.size == len(cleaned)
    assert check(cleaned, "statement.pdf").kind == "pdf"  # the copy passes the check too


FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,  # no .hypothesis/ directory in the checkout
    suppress_health_check=list(HealthCheck),
)
PDF = authored_pdf(pages=1)
PDF_WORDS = st.sampled_from(
    [
        b"<<",
        b">>",
        b"/JavaScript",
        b"/J#61vaScript",
        b"/Type /ObjStm",
        b"/Type /XRef",
        b"/Filter /FlateDecode",
        b"/First 0 /N 1",
        b"stream\n",
        b"\nendstream",
        b"1 0 obj",
        b"endobj",
        b"(",
        b")",
        b"\\",
        b"%",
        b"<",
        b">",
        b"/Encrypt",
        b"trailer",
        b"xref\n0 1\n",
        b"%%EOF",
    ]
)


@FUZZ
@given(st.lists(st.one_of(PDF_WORDS, st.binary(max_size=16)), max_size=40))
def test_pdf_syntax_soup_is_refused_or_cleaned(parts):
    refused_or_cleaned(b"%PDF-1.7\n" + b" ".join(parts) + b"\n%%EOF\n")


@FUZZ
@given(
    st.lists(
        st.tuples(st.integers(0, len(PDF) - 1), st.binary(max_size=8), st.integers(0, 8)),
        min_size=1,
        max_size=6,
    )
)
def test_a_real_pdf_damaged_anywhere_is_refused_or_cleaned(edits):
    data = bytearray(PDF)
    for at, insert, remove in edits:
        data[at : at + remove] = insert
    refused_or_cleaned(bytes(data))
