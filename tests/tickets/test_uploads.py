"""Evidence uploads: recognised by content, bombs and scripts refused, stored privately."""

import dataclasses
import hashlib
import io
import os
import random
import re
import struct
import zipfile
import zlib

import pytest
from PIL import Image

from helpcenter.tickets import uploads
from helpcenter.tickets.uploads import (
    MAX_BYTES,
    MAX_DISPLAY_NAME,
    REASONS,
    Checked,
    UploadRefused,
    check,
    open_stored,
    store,
)
from tests.contact.conftest import Player, text

# Files, made for real


def image_bytes(fmt: str, size=(64, 48), mode="RGB") -> bytes:
    noise = random.Random(7).randbytes(size[0] * size[1] * 3)  # so truncation hits pixels
    image = Image.frombytes("RGB", size, noise).convert(mode)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def blank_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG made by hand: any canvas size in a few kilobytes, quickly."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = bytes(1 + (width + 7) // 8)  # filter byte, then the row's bits
    deflate = zlib.compressobj(9)
    pixels = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels)
        + png_chunk(b"IEND", b"")
    )


def pdf_stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), entries, data)


def make_pdf(*objects: bytes, catalog: bytes = b"", version: bytes = b"1.7") -> bytes:
    """A one-page PDF with a correct cross-reference table; `objects` are numbers 5, 6..."""
    objects = (
        b"<< /Type /Catalog /Pages 2 0 R%s >>" % catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R"
        b" /Resources << /Font << /F1 << /Type /Font /Subtype /Type1"
        b" /BaseFont /Times#20New#20Roman >> >> >> >>",
        pdf_stream(b"BT /F1 18 Tf 20 100 Td (Bank statement \\(May\\)) Tj ET"),
        *objects,
    )
    out = bytearray(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def object_stream(*objects: bytes, entries: bytes = b" /Filter /FlateDecode") -> bytes:
    """An object stream (PDF 1.5) holding `objects` as numbers 10, 11..."""
    offsets, body = [], b""
    for obj in objects:
        offsets.append(len(body))
        body += obj + b"\n"
    header = b" ".join(b"%d %d" % (10 + i, offset) for i, offset in enumerate(offsets)) + b"\n"
    data = header + body
    if b"FlateDecode" in entries:
        data = zlib.compress(data)
    return pdf_stream(
        data, b" /Type /ObjStm /N %d /First %d%s" % (len(objects), len(header), entries)
    )


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.txt", bytes(5_000_000))
    return out.getvalue()


PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")
PDF = make_pdf()
JAVASCRIPT = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"


def refusal(data: bytes, filename: str = "evidence") -> str:
    with pytest.raises(UploadRefused) as refused:
        check(data, filename)
    return refused.value.reason


# Accepted


@pytest.mark.parametrize(
    ("data", "filename", "kind", "extension", "mimetype"),
    [
        (PNG, "screenshot.png", "png", ".png", "image/png"),
        (image_bytes("PNG", mode="P"), "palette.png", "png", ".png", "image/png"),
        (image_bytes("PNG", mode="LA"), "grey.png", "png", ".png", "image/png"),
        (JPEG, "photo.jpg", "jpeg", ".jpg", "image/jpeg"),
        (image_bytes("JPEG", mode="L"), "scan.jpeg", "jpeg", ".jpg", "image/jpeg"),
        (PDF, "statement.pdf", "pdf", ".pdf", "application/pdf"),
        (make_pdf(version=b"2.0"), "statement.pdf", "pdf", ".pdf", "application/pdf"),
    ],
)
def test_valid_files_are_accepted_with_their_kind(data, filename, kind, extension, mimetype):
    checked = check(data, filename)
    sha256 = hashlib.sha256(data).hexdigest()
    assert checked == Checked(kind, extension, mimetype, len(data), filename, sha256)


def test_the_content_decides_not_the_name():
    assert check(PNG, "statement.pdf").kind == "png"
    assert check(PDF, "photo.JPG").kind == "pdf"
    assert check(JPEG, "").kind == "jpeg"


def test_checked_is_frozen():
    checked = check(PNG, "a.png")
    with pytest.raises(dataclasses.FrozenInstanceError):
        checked.kind = "pdf"  # type: ignore[misc]


def test_a_valid_png_with_trailing_data_is_accepted_as_a_png():
    # Documented: Pillow parses it completely; it is served as an attachment with nosniff.
    polyglot = PNG + b"<html><script>alert(1)</script></html><?php system($_GET['c']); ?>"
    checked = check(polyglot, "evil.html")
    assert (checked.kind, checked.mimetype) == ("png", "image/png")
    assert checked.display_name == "evil.html.png"


def test_a_pdf_of_exactly_the_maximum_size_is_accepted():
    pdf = make_pdf()
    padded = pdf.replace(b"\n1 0 obj", b"\n%" + b"x" * (MAX_BYTES - len(pdf) - 2) + b"\n1 0 obj")
    assert len(padded) == MAX_BYTES
    assert check(padded, "big.pdf").size == MAX_BYTES


# Refused: empty, too large, not ours


def test_empty_files_are_refused():
    assert refusal(b"", "empty.png") == "empty"


def test_files_over_the_limit_are_refused_before_parsing():
    assert refusal(PNG + bytes(MAX_BYTES), "huge.png") == "too_large"
    assert refusal(b"%PDF-1.7\n" + bytes(MAX_BYTES), "huge.pdf") == "too_large"


def test_reasons():
    assert REASONS == ("empty", "too_large", "type", "damaged", "too_many_pixels")
    with pytest.raises(ValueError):
        UploadRefused("virus")
    assert UploadRefused("type").reason == "type"


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"<?php system($_GET['cmd']); ?>", "shell.png"),
        (b"GIF89a<?php system($_GET['cmd']); ?>", "shell.png"),
        (b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>", "x.png"),
        (b"<html><body>PNG</body></html>", "image.jpg"),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
            b"<script>alert(2)</script></svg>",
            "chart.svg.png",
        ),
        (zip_bytes(), "statement.pdf"),
        (zip_bytes(), "photo.png"),
        (image_bytes("GIF", mode="P"), "animation.png"),
        (image_bytes("BMP"), "scan.jpg"),
        (image_bytes("WEBP"), "scan.png"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200) + b"This program cannot be run", "a.pdf"),
        (b"\x7fELF\x02\x01\x01" + bytes(100), "a.png"),
        (b"Hello, here is my bank statement", "statement.pdf"),
        (b"%!PS-Adobe-3.0\n%%EOF\n", "statement.pdf"),
        (b"\n" + PDF, "statement.pdf"),  # readers allow junk before %PDF; we do not
        (b"<html>" + PDF, "statement.pdf"),
        (b" \x89PNG\r\n\x1a\n", "shifted.png"),
    ],
)
def test_what_is_not_jpeg_png_or_pdf_by_content_is_refused(data, filename):
    assert refusal(data, filename) == "type"


# Refused: damaged


@pytest.mark.parametrize(
    "data",
    [
        PNG[: len(PNG) // 2],
        PNG[:-12],  # no IEND
        PNG[:40] + bytes([PNG[40] ^ 0xFF]) + PNG[41:],  # a CRC mismatch
        b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>",
        b"\x89PNG\r\n\x1a\n<?php system($_GET['cmd']); ?>",
        JPEG[: len(JPEG) // 2],
        b"\xff\xd8\xff<?php system($_GET['cmd']); ?>",
        b"\xff\xd8\xff\xe0",
        PDF[:-100],  # cut before %%EOF
        PDF.replace(b"%%EOF", b"%%END"),
    ],
)
def test_files_that_claim_a_format_but_do_not_parse_are_damaged(data):
    assert refusal(data) == "damaged"


# Refused: decompression bombs


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (6000, 4500),  # 27 megapixels: over our 25
        (8000, 6000),  # over the 40 megapixels of before, under Pillow's own warning
        (10000, 10000),  # over Pillow's warning threshold
        (20000, 10000),  # over Pillow's error threshold
        (50_000_000, 1),
    ],
)
def test_images_with_too_many_pixels_are_refused_before_decoding(width, height):
    bomb = blank_png(width, height)
    assert len(bomb) < 100_000
    assert refusal(bomb, "bomb.png") == "too_many_pixels"


def test_an_image_just_under_the_pixel_limit_is_accepted():
    assert uploads.MAX_PIXELS == 25_000_000
    assert check(blank_png(5000, 5000), "big.png").kind == "png"
    assert check(blank_png(25_000_000, 1), "wide.png").kind == "png"


def test_the_pixel_limit_is_explained_on_the_contact_form(loaded, client):
    response = Player(client).contact(files=[("camera.png", blank_png(6000, 4500))])
    assert response.status_code == 422
    assert "camera.png has more than 25 megapixels. Send a smaller image." in text(response)


# Image data read to the end, without a full decode

PNG_LAYOUTS = [  # colour type and bit depths the PNG standard allows
    (colour, depth)
    for colour, depths in {
        0: (1, 2, 4, 8, 16),
        2: (8, 16),
        3: (1, 2, 4, 8),
        4: (8, 16),
        6: (8, 16),
    }.items()
    for depth in depths
]


def raw_png(width, height, colour, depth, interlace, missing=0, idat_size=1000) -> bytes:
    """A PNG of zero rows made by hand, `missing` bytes short of what its header promises.

    Its CRCs are all right, so only reading the pixel data tells a short one apart.
    """
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    bits = channels * depth
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2)]
    sizes = (
        [(width, height)]
        if not interlace
        else [
            (-(-(width - x) // dx), -(-(height - y) // dy))
            for x, y, dx, dy in [*passes, (0, 1, 1, 2)]
        ]
    )
    size = sum(h * (1 + (w * bits + 7) // 8) for w, h in sizes if w > 0 and h > 0)
    pixels = zlib.compress(bytes(size - missing))
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    chunks = [png_chunk(b"IHDR", header)]
    if colour == 3:
        chunks.append(png_chunk(b"PLTE", bytes(3 * 2**depth)))
    chunks += [
        png_chunk(b"IDAT", pixels[i : i + idat_size]) for i in range(0, len(pixels), idat_size)
    ]
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks) + png_chunk(b"IEND", b"")


@pytest.mark.parametrize("interlace", [0, 1], ids=["plain", "interlaced"])
@pytest.mark.parametrize(("colour", "depth"), PNG_LAYOUTS)
@pytest.mark.parametrize(("width", "height"), [(1, 1), (3, 5), (37, 29)])
def test_png_pixel_data_is_read_to_the_last_row(width, height, colour, depth, interlace):
    whole = raw_png(width, height, colour, depth, interlace)
    with Image.open(io.BytesIO(whole)) as image:
        image.load()  # Pillow agrees: the file is complete
    assert check(whole, "shot.png").kind == "png"
    short = raw_png(width, height, colour, depth, interlace, missing=1)
    with Image.open(io.BytesIO(short)) as image:
        image.verify()  # every chunk is fine; only the data is short
    assert refusal(short) == "damaged"


def test_png_pixel_data_that_does_not_inflate_is_damaged():
    whole = raw_png(300, 200, 2, 8, 0, idat_size=10_000_000)
    start = whole.index(b"IDAT") + 4
    data = bytearray(whole[start : start + struct.unpack(">I", whole[start - 8 : start - 4])[0]])
    data[2:10] = b"\xff" * 8  # garbage in the deflate stream, under a right CRC
    broken = whole[: start - 8] + png_chunk(b"IDAT", bytes(data)) + png_chunk(b"IEND", b"")
    assert refusal(broken) == "damaged"


@pytest.mark.parametrize(
    ("mode", "options"),
    [("RGB", {}), ("RGB", {"progressive": True}), ("L", {}), ("CMYK", {}), ("RGB", {"quality": 5})],
)
@pytest.mark.parametrize("size", [(1, 1), (9, 7), (333, 250)])
def test_jpegs_are_read_to_the_end_at_a_fraction_of_the_work(mode, options, size):
    noise = random.Random(11).randbytes(size[0] * size[1] * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", size, noise).convert(mode).save(out, "JPEG", **options)
    jpeg = out.getvalue()
    assert check(jpeg, "photo.jpg").kind == "jpeg"
    if size[0] > 100:
        assert refusal(jpeg[: len(jpeg) * 2 // 3]) == "damaged"


# PDFs that act


@pytest.mark.parametrize(
    "catalog",
    [
        b" /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>",
        b" /OpenAction << /S /Launch /F (cmd.exe) >>",
        b" /Names << /JavaScript << /Names [(x) 5 0 R] >> >>",
        b" /Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>",
        b" /AcroForm << /XFA 5 0 R >>",
        b" /OpenAction << /S /GoToE /T << /R /C /N (a.pdf) >> >>",
        b" /OpenAction<</S/JavaScript/JS 5 0 R>>",
        b" /OpenAction << /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>",
        b" /OpenAction << /S /#4Aava#53cript >>",
        # "stream" inside a string does not hide what follows it
        b" /X (<<>> stream\n) /OpenAction << /S /JavaScript /JS (x) >> /Y (endstream)",
    ],
)
def test_pdfs_with_scripts_launch_actions_or_attachments_are_refused(catalog):
    assert refusal(make_pdf(catalog=catalog), "statement.pdf") == "type"


def test_pdfs_with_actions_in_separate_objects_are_refused():
    assert refusal(make_pdf(JAVASCRIPT, catalog=b" /OpenAction 5 0 R")) == "type"
    launch = b"<< /S /Launch /Win << /F (cmd.exe) >> >>"
    assert refusal(make_pdf(launch, catalog=b" /OpenAction 5 0 R")) == "type"
    attachment = pdf_stream(b"MZ", b" /Type /EmbeddedFile")
    assert refusal(make_pdf(attachment)) == "type"
    file_spec = b"<< /Type /Filespec /F (a.exe) /EF << /F 6 0 R >> >>"
    assert refusal(make_pdf(file_spec, pdf_stream(b"MZ"))) == "type"


def test_pdfs_hiding_actions_in_object_streams_are_refused():
    pdf = make_pdf(object_stream(JAVASCRIPT), catalog=b" /OpenAction 10 0 R")
    assert refusal(pdf) == "type"
    plain = make_pdf(object_stream(JAVASCRIPT, entries=b""), catalog=b" /OpenAction 10 0 R")
    assert refusal(plain) == "type"


def test_object_streams_that_cannot_be_searched_are_refused():
    safe = b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] >>"
    assert check(make_pdf(object_stream(safe)), "ok.pdf").kind == "pdf"
    for entries in (
        b" /Filter /LZWDecode",
        b" /Filter [/ASCII85Decode /FlateDecode]",
        b" /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 4 >>",
        b" /Filter 9 0 R",
    ):
        assert refusal(make_pdf(object_stream(safe, entries=entries))) == "type", entries


def test_object_stream_inflation_is_bounded():
    bomb = zlib.compress(bytes(uploads.MAX_PDF_INFLATED + 1), 9)
    entries = b" /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode"
    assert refusal(make_pdf(pdf_stream(bomb, entries))) == "too_large"
    broken = pdf_stream(b"not deflate data", entries)
    assert refusal(make_pdf(broken)) == "damaged"


@pytest.mark.parametrize(
    "hiding_place",
    [
        pdf_stream(b"q 1 0 0 1 0 0 cm Q\n5 0 obj << /S /JavaScript /JS (x) >> endobj"),
        b"<< /Title (see 7 0 obj << /S /Launch /F (cmd.exe) >> endobj) >>",
        b"<< /Title <7 0 obj << /S /Launch /F (cmd.exe) >> >>",
        b"null\n% 7 0 obj << /S /JavaScript /JS (x) >> endobj",
    ],
)
def test_objects_hidden_where_a_reader_may_jump_are_searched(hiding_place):
    assert refusal(make_pdf(hiding_place)) == "type"


def test_dangerous_looking_bytes_in_strings_comments_and_stream_data_are_harmless():
    pixels = random.Random(3).randbytes(300_000)
    pdf = make_pdf(
        pdf_stream(b"BT (/JS /Launch) Tj ET /JavaScript", b" /Filter /FlateDecode"),
        pdf_stream(pixels + b"/JS (x) /EF <<>> /#4A", b" /Subtype /Image /Filter /DCTDecode"),
        b"<< /Title (About /JavaScript and /EF) /Subject <2F4A53> >>\n% /Launch",
        catalog=b" /OpenAction << /S /URI /URI (https://example.com/) >>",
    )
    assert check(pdf, "statement.pdf").kind == "pdf"


# Display names


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("statement.pdf", "statement.pdf"),
        ("Выписка за май.PDF", "Выписка за май.PDF"),
        ("../../../etc/passwd", "passwd.pdf"),
        ("..\\..\\windows\\system32\\statement.pdf", "statement.pdf"),
        ("C:\\Users\\Aysel\\Desktop\\çıxarış.pdf", "çıxarış.pdf"),
        ("/var/www/uploads/", "file.pdf"),
        ("..", "file.pdf"),
        ("", "file.pdf"),
        ("   ", "file.pdf"),
        ("\x00\x01\x1f\x7f", "file.pdf"),
        ("scan.php\x00.pdf", "scan.php.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe.pdf"),
        ("\u2066report\u2069\u200f.pdf", "report.pdf"),
        ("line\nbreak\r\tname.pdf", "linebreakname.pdf"),
        ("two\u2028lines   spaced .pdf", "two lines spaced .pdf"),
        ("x" * 117 + "   y.pdf", "x" * 116 + ".pdf"),
        ("cafe\u0301.pdf", "café.pdf"),
        ("evil.html", "evil.html.pdf"),
        ("statement.pdf.exe", "statement.pdf.exe.pdf"),
        (".pdf", "file.pdf"),
    ],
)
def test_display_names_are_safe(filename, expected):
    assert check(PDF, filename).display_name == expected


def test_long_display_names_are_cut_keeping_the_extension():
    name = check(PDF, "a" * 500 + ".pdf").display_name
    assert name == "a" * (MAX_DISPLAY_NAME - 4) + ".pdf"
    assert len(check(PNG, "ü" * 500).display_name) == MAX_DISPLAY_NAME
    assert check(JPEG, "x" * 200 + ".jpeg").display_name.endswith("x.jpeg")


def test_display_names_end_with_an_extension_of_the_content():
    assert check(JPEG, "photo.jpeg").display_name == "photo.jpeg"
    assert check(JPEG, "photo.JPG").display_name == "photo.JPG"
    assert check(JPEG, "photo.png").display_name == "photo.png.jpg"
    assert check(PNG, "drawing.svg").display_name == "drawing.svg.png"


# Storage


def test_store_writes_a_private_file_under_a_random_name(tmp_path):
    directory = tmp_path / "data" / "uploads"
    checked = check(PDF, "../../statement.pdf")
    name = store(checked, PDF, directory)
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", name)
    assert os.listdir(directory) == [name]  # no temporary file left behind
    assert (directory / name).read_bytes() == PDF
    assert (directory / name).stat().st_mode & 0o777 == 0o600
    assert directory.stat().st_mode & 0o777 == 0o700
    assert store(checked, PDF, directory) != name
    assert store(check(PNG, "a.png"), PNG, directory).endswith(".png")
    assert store(check(JPEG, "a.jpeg"), JPEG, directory).endswith(".jpg")
    assert len(os.listdir(directory)) == 4


def test_store_keeps_an_existing_directory_and_refuses_other_data(tmp_path):
    checked = check(PNG, "a.png")
    name = store(checked, PNG, tmp_path)
    assert (tmp_path / name).read_bytes() == PNG
    with pytest.raises(ValueError):
        store(checked, PNG + b"<?php", tmp_path)
    assert os.listdir(tmp_path) == [name]


def test_open_stored_returns_only_stored_files(tmp_path):
    name = store(check(PNG, "a.png"), PNG, tmp_path)
    assert open_stored(tmp_path, name) == tmp_path / name
    (tmp_path / "secret.txt").write_text("secret")
    for bad in (
        "../x",
        "abc.png",
        "",
        ".",
        "..",
        "secret.txt",
        "/etc/passwd",
        f"../{name}",
        f"./{name}",
        f"{name}/",
        f"{name}\n",
        f"{name}\x00",
        name.upper(),
        name[:-4] + ".PNG",
        name[:-4] + ".html",
        name[:-4] + ".png.php",
        name[1:],
        "0" + name,
        f".upload-{name}.part",
        "../" * 10 + "etc/passwd",
        "..%2f..%2fetc%2fpasswd",
    ):
        with pytest.raises(FileNotFoundError):
            open_stored(tmp_path, bad)
    with pytest.raises(FileNotFoundError):
        open_stored(tmp_path, "0" * 32 + ".png")  # the right form, but never stored
    with pytest.raises(FileNotFoundError):
        open_stored(tmp_path, None)  # type: ignore[arg-type]


def test_jpegs_with_more_scans_than_the_limit_are_damaged():
    out = io.BytesIO()
    Image.linear_gradient("L").convert("RGB").save(out, "JPEG", progressive=True)
    jpeg = out.getvalue()
    assert jpeg.count(b"\xff\xda") == 10  # libjpeg's progressive JPEGs, like most
    last_scan = jpeg[jpeg.rfind(b"\xff\xda") : -2]
    # Each scan is a pass over the whole image however few bytes it has.
    many = jpeg[:-2] + last_scan * (uploads.MAX_JPEG_SCANS - 10) + b"\xff\xd9"
    assert check(many, "photo.jpg").kind == "jpeg"
    assert refusal(many[:-2] + last_scan + b"\xff\xd9") == "damaged"
