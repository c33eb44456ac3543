"""Evidence that players attach to tickets: what we accept, and how we keep it.

Players send screenshots, bank statements and ID documents. Staff open them, so an upload is
untrusted input aimed at staff. The rules:

* At most MAX_FILES files per submission (the form enforces this) and MAX_BYTES per file.
  The size is checked before anything is parsed.
* JPEG, PNG and PDF only, recognised by their content. The file name and the declared
  mimetype are chosen by the sender, so they decide nothing. A PHP script, an HTML page, an
  SVG, a ZIP (zip bombs too), a GIF or an executable is refused as "type", whatever its name.
* Images must be read completely, at a cost bounded by their size. The format must match the
  magic bytes and Pillow's ``verify()`` must pass (for a PNG: every chunk's CRC, up to IEND).
  Then all the image data is read without building the picture: a PNG's pixel data is
  inflated (with zlib-ng) in 1 MiB steps that are counted and dropped, and must hold every
  row its header promises; a JPEG is decoded with ``Image.draft`` at 1/8 scale, where libjpeg
  still reads every byte of the data but skips most of the pixel work. This catches
  truncation and broken data as a full decode does, in a tenth of the time for a PNG (and in
  constant memory) and a fifth for a JPEG. An image that claims a format but fails any of
  this is "damaged". An image over MAX_PIXELS (25 megapixels: phone photos, and screenshots
  of a 6K screen, fit) is refused as "too_many_pixels" before any of its data is read: a
  small file can declare a huge canvas, and reading it would take seconds and gigabytes (a
  decompression bomb); the cap is what bounds the work of one check. So does MAX_JPEG_SCANS:
  a progressive JPEG is decoded scan by scan, each a pass over the whole image, and a few
  bytes make a scan, so a JPEG with more than 50 start-of-scan markers (cameras write 1 to
  10) is "damaged".
  Pillow's DecompressionBombWarning and DecompressionBombError mean the same as our pixel
  limit. That limit is below Pillow's warning threshold, so the refusal does not depend on
  the warning filter set around the parsing (``warnings.catch_warnings`` is process-wide
  before Python 3.14; the filter is there so that a warning never escapes as noise).
* A PDF must start with ``%PDF-1.`` or ``%PDF-2.`` at offset 0. Readers tolerate a header
  anywhere in the first 1024 bytes, and polyglots use that to hide a PDF behind another
  format. The PDF must end with ``%%EOF`` in its last 2048 bytes (otherwise it is
  "damaged", usually a truncated upload). Evidence does not need scripts, launch actions,
  attached files or XFA forms, so a PDF that names any of DANGEROUS_PDF_NAMES is refused as
  "type". The check knows enough PDF syntax to make that hard to dodge:

  - a name that spells a letter or digit as ``#xx`` (``/J#61vaScript`` for ``/JavaScript``)
    is refused as well: nothing needs that but hiding a name from a check like this one;
  - strings, comments and stream data are skipped, so an image whose compressed bytes happen
    to contain ``/JS`` is not refused by accident. The part of one that follows an object
    header (``12 0 obj``) is searched all the same, because a reader may follow the
    cross-reference table there;
  - object streams (``/Type /ObjStm``, or ``/First`` with ``/N``), where PDF 1.5+ keeps most
    dictionaries compressed, are inflated (at most MAX_PDF_INFLATED bytes in all, otherwise
    "too_large") and searched in full. An object stream that uses anything but plain
    FlateDecode (other filters, predictors, an indirect /Filter) cannot be searched and is
    refused as "type". So is an encrypted one, whose data we cannot read;
  - the work is bounded: a PDF made of more than half a million strings, comments and
    objects is "too_large" (a real one of 10 MB is mostly stream data).

  This is a filter, not a PDF sanitiser. PDFs are complex, and a viewer may be more lenient
  than this check. Staff should open PDFs in a viewer with JavaScript off, such as the
  browser's built-in one.

What is kept (``clean``): the bytes as received are only checked and hashed (SHA-256, which
staff see beside the file, so they can still prove what arrived); what is stored and served
is a copy without metadata, because photos carry the place they were taken (EXIF GPS) and
documents their author. An image is decoded and encoded again: EXIF (GPS included), XMP,
comments, PNG text chunks and anything after the image's data are gone; what a person sees
stays: the EXIF orientation is applied first, so the copy is upright without it, and the ICC
colour profile, size and mode (and a PNG's transparency) are kept. A JPEG is encoded at
quality 95 with its chroma subsampling; a PNG losslessly (16-bit colour PNGs, which Pillow
reads as 8-bit, are the exception); of an MPO only the main picture is kept. A PDF is
rewritten by qpdf (pikepdf) with its pages and without the document information dictionary
or any XMP metadata stream (the document's, a page's or an image's) or application data
(/PieceInfo), unencrypted and without object streams, its stream data copied as it is (never
inflated, so a compressed bomb stays compressed); the copy must pass the PDF check above
again (so a dangerous name is "type"). A cross-reference stream is inflated within
MAX_PDF_INFLATED too, as qpdf reads it whole. A PDF that needs a password to open is "damaged":
staff could not read it either.

Polyglots: a file can be a valid PNG, JPEG or PDF and carry other data, for example HTML or
PHP after the PNG's IEND chunk. We accept it (an image's cleaned copy drops it). What we
accept is only what Pillow fully parses (a PNG header followed by a page is "damaged"), and
files are served only with ``Content-Disposition: attachment`` and ``X-Content-Type-Options:
nosniff`` under the mimetype decided here, so a browser treats it as the image it is, never as
HTML. Stored files have random names with the right extension and are never executed. The
display name always ends with an extension that matches the content ("evil.html" that is
really a PNG is shown as "evil.html.png"), so a downloaded copy does not open as a page either.

Storage (see storage.py; this is its ``directory`` backend, the database one keeps the same
names): ``store`` writes into a private directory (0o700) outside anything the web server
serves. The file is mode 0o600 and named ``<32 hex digits><extension>`` from
``secrets.token_hex``. It is written to a temporary file and moved into place with
``os.replace``, so nobody ever sees half a file. ``open_stored`` accepts only names of exactly
that form, which rules out path traversal. The player's file name is kept only as the
display_name.
"""

import dataclasses
import hashlib
import io
import itertools
import os
import re
import secrets
import struct
import tempfile
import unicodedata
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image, ImageOps, JpegImagePlugin
from zlib_ng import zlib_ng

from helpcenter.forms import BIDI_CONTROLS
from helpcenter.vocabulary import MAX_BYTES, MAX_MEGAPIXELS

MAX_PIXELS = MAX_MEGAPIXELS * 1_000_000
MAX_JPEG_SCANS = 50
MAX_DISPLAY_NAME = 120
MAX_PDF_INFLATED = 32 * 1024 * 1024

REASONS = ("empty", "too_large", "type", "damaged", "too_many_pixels")

DANGEROUS_PDF_NAMES = frozenset(
    {
        b"JavaScript",
        b"JS",
        b"Launch",
        b"EmbeddedFile",
        b"EmbeddedFiles",
        b"EF",  # a file specification's embedded file
        b"RichMedia",
        b"XFA",  # XFA forms carry their own scripts
        b"GoToE",  # go to an embedded document
    }
)


class UploadRefused(Exception):
    """The upload is not accepted; `reason` is one of REASONS."""

    def __init__(self, reason: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Checked:
    """What `check` learned about an accepted upload."""

    kind: str  # "jpeg", "png" or "pdf"
    extension: str  # ".jpg", ".png" or ".pdf"
    mimetype: str
    size: int  # of the bytes as received, or of the cleaned copy after `clean`
    display_name: str
    sha256: str = ""  # hex SHA-256 of the bytes as received


@dataclass(frozen=True)
class _Kind:
    name: str
    extension: str
    mimetype: str
    display_extensions: tuple[str, ...]
    pillow_formats: tuple[str, ...] = ()


_JPEG = _Kind("jpeg", ".jpg", "image/jpeg", (".jpg", ".jpeg"), ("JPEG", "MPO"))
_PNG = _Kind("png", ".png", "image/png", (".png",), ("PNG",))
_PDF = _Kind("pdf", ".pdf", "application/pdf", (".pdf",))

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_PDF_MAGICS = (b"%PDF-1.", b"%PDF-2.")
_PDF_EOF_WINDOW = 2048

_STORED_NAME = re.compile(r"[0-9a-f]{32}\.(?:jpg|png|pdf)")


def check(data: bytes, filename: str) -> Checked:
    """Accept `data` as JPEG, PNG or PDF evidence, or raise UploadRefused."""
    size = len(data)
    if size == 0:
        raise UploadRefused("empty")
    if size > MAX_BYTES:
        raise UploadRefused("too_large")
    kind = _sniff(data)
    if kind is _PDF:
        _check_pdf(data)
    else:
        _check_image(data, kind)
    return Checked(
        kind=kind.name,
        extension=kind.extension,
        mimetype=kind.mimetype,
        size=size,
        display_name=display_name(filename, kind.display_extensions, kind.extension),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def clean(checked: Checked, data: bytes) -> tuple[Checked, bytes]:
    """A copy of checked `data` without metadata (see the module doc), and its Checked.

    The Checked keeps the SHA-256 of `data` as received and gets the size of the copy.
    Raises UploadRefused: "damaged" for a file that cannot be rewritten (a PDF that needs a
    password), "type" for a PDF whose rewritten copy the check refuses.
    """
    if len(data) != checked.size or hashlib.sha256(data).hexdigest() != checked.sha256:
        raise ValueError("data is not the upload that was checked")
    if checked.kind == _PDF.name:
        cleaned = _clean_pdf(data)
    else:
        cleaned = _clean_image(data, _JPEG if checked.kind == _JPEG.name else _PNG)
    return dataclasses.replace(checked, size=len(cleaned)), cleaned


def new_name(checked: Checked, data: bytes) -> str:
    """A new random stored name for checked `data`: 32 hex digits and the extension."""
    if len(data) != checked.size:
        raise ValueError("data is not the upload that was checked")
    if checked.extension not in (_JPEG.extension, _PNG.extension, _PDF.extension):
        raise ValueError(f"unexpected extension {checked.extension!r}")
    return secrets.token_hex(16) + checked.extension


def is_stored_name(name: object) -> bool:
    """Whether `name` has the form of a stored name (which rules out path traversal)."""
    return isinstance(name, str) and _STORED_NAME.fullmatch(name) is not None


def store(checked: Checked, data: bytes, directory: Path) -> str:
    """Write checked `data` into `directory` under a new random name, and return the name."""
    name = new_name(checked, data)
    write(Path(directory), name, data)
    return name


def write(directory: Path, name: str, data: bytes) -> None:
    """Write `data` as the file `name` in `directory`, atomically and durably (see above)."""
    if not is_stored_name(name):
        raise ValueError(f"not a stored upload name: {name!r}")
    try:
        directory.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        pass
    else:
        os.chmod(directory, 0o700)  # mkdir's mode is reduced by the umask
    fd, temp = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), 0o600)  # (mkstemp's mode already, whatever the umask)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, directory / name)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _fsync_directory(directory)


def open_stored(directory: Path, name: str) -> Path:
    """The path of the stored file `name`; FileNotFoundError unless it is a stored name."""
    if not is_stored_name(name):
        raise FileNotFoundError(f"not a stored upload name: {name!r}")
    path = Path(directory) / name
    if not path.is_file():
        raise FileNotFoundError(f"no stored upload {name!r}")
    return path


# Display names


_JOINERS = frozenset("\u200c\u200d")  # needed by Persian, Indic scripts and emoji


def display_name(filename: str, extensions: tuple[str, ...] = (), extension: str = "") -> str:
    """`filename` as safe display text that ends with one of `extensions` (if given).

    Only the last path part is kept (both / and \\ separate parts). Control, format and
    bidirectional override characters are removed, white space is collapsed, the text is
    NFC-normalised and cut to MAX_DISPLAY_NAME characters, keeping the extension. The
    result is never empty: it falls back to "file" plus `extension`.
    """
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    kept = []
    for char in name:
        category = unicodedata.category(char)
        if char in BIDI_CONTROLS or category in ("Cc", "Cs"):
            continue
        if category == "Cf" and char not in _JOINERS:
            continue
        kept.append(" " if category in ("Zl", "Zp") else char)
    name = unicodedata.normalize("NFC", " ".join("".join(kept).split()))
    if name in (".", ".."):
        name = ""
    suffix = next((name[-len(e) :] for e in extensions if name[-len(e) :].lower() == e), None)
    if suffix is None:  # "evil.html" that is a PNG becomes "evil.html.png"
        return _fit(name, extension)
    return _fit(name[: -len(suffix)], suffix)


def _fit(stem: str, suffix: str) -> str:
    if len(stem) + len(suffix) > MAX_DISPLAY_NAME:
        stem = stem[: MAX_DISPLAY_NAME - len(suffix)].rstrip()
    return (stem or "file") + suffix


# Content sniffing


def _sniff(data: bytes) -> _Kind:
    if data.startswith(_PNG_MAGIC):
        return _PNG
    if data.startswith(_JPEG_MAGIC):
        return _JPEG
    if data.startswith(_PDF_MAGICS):
        return _PDF
    raise UploadRefused("type")


# Images


def _check_image(data: bytes, kind: _Kind) -> None:
    formats = list(kind.pillow_formats)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "malformed MPO file": noise from odd cameras
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=formats) as image:
                if image.format not in kind.pillow_formats:
                    raise UploadRefused("damaged")
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise UploadRefused("too_many_pixels")
                image.verify()
            if kind is _PNG:
                _read_png_data(data)
            else:
                # Counted over the whole file: an upper bound (its metadata may hold the bytes).
                if data.count(b"\xff\xda") > MAX_JPEG_SCANS:
                    raise UploadRefused("damaged")
                with Image.open(io.BytesIO(data), formats=formats) as image:
                    image.draft(image.mode, ((width + 7) // 8, (height + 7) // 8))
                    image.load()
    except UploadRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRefused("too_many_pixels") from None
    except Exception:  # whatever a broken file makes a parser raise
        raise UploadRefused("damaged") from None


_ROTATED = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height
_SUBSAMPLING_444 = 0


def _clean_image(data: bytes, kind: _Kind) -> bytes:
    """The picture of `data` (which passed `_check_image`) encoded again, without metadata."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # as in _check_image
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(kind.pillow_formats)) as image:
                icc_profile = image.info.get("icc_profile")
                transparency = image.info.get("transparency")
                rotated = image.getexif().get(0x0112) in _ROTATED
                subsampling = JpegImagePlugin.get_sampling(image) if kind is _JPEG else -1
                upright = ImageOps.exif_transpose(image)
        # Nothing of the original's info is written again unless passed on below: Pillow's
        # savers read some of it (a JPEG comment, a PNG's ICC profile) from `info`.
        upright.info = {}
        options: dict = {"icc_profile": icc_profile} if icc_profile else {}
        out = io.BytesIO()
        if kind is _JPEG:
            if rotated and subsampling not in (-1, 2):
                subsampling = _SUBSAMPLING_444  # 4:2:2 turned on its side has no JPEG form
            upright.save(out, "JPEG", quality=95, subsampling=subsampling, **options)
        else:
            if transparency is not None:
                options["transparency"] = transparency
            upright.save(out, "PNG", **options)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRefused("too_many_pixels") from None
    except Exception:  # the check read it all, so this is unexpected; never keep the original
        raise UploadRefused("damaged") from None
    return out.getvalue()


_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by colour type: grey, RGB, palette, GA, RGBA
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
_INFLATE_STEP = 1024 * 1024


def _read_png_data(data: bytes) -> None:
    """Inflate the pixel data of a PNG that passed verify(); "damaged" unless it is all there.

    The rows are not unfiltered into a picture, which is most of what a decode costs; the
    inflated bytes are counted and dropped, at most _INFLATE_STEP at a time.
    """
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    expected = _png_data_size(width, height, depth * _PNG_CHANNELS[colour], interlace)
    inflater = zlib_ng.decompressobj()  # the zlib API; inflates 7-20x faster here
    inflated = 0
    position = 8
    while inflated < expected and position + 8 <= len(data):
        length, chunk_type = struct.unpack(">I4s", data[position : position + 8])
        if chunk_type == b"IEND":
            break
        if chunk_type == b"IDAT":
            pending = memoryview(data)[position + 8 : position + 8 + length]
            while pending and inflated < expected:
                inflated += len(inflater.decompress(pending, _INFLATE_STEP))
                pending = inflater.unconsumed_tail
        position += 12 + length
    if inflated < expected:
        raise UploadRefused("damaged")


def _png_data_size(width: int, height: int, bits_per_pixel: int, interlace: int) -> int:
    """The bytes of inflated PNG data for this image: a filter byte and the pixels, per row."""

    def rows(columns: int, count: int) -> int:
        if columns <= 0 or count <= 0:
            return 0
        return count * (1 + (columns * bits_per_pixel + 7) // 8)

    if not interlace:
        return rows(width, height)
    return sum(
        rows((width - x + dx - 1) // dx, (height - y + dy - 1) // dy) for x, y, dx, dy in _ADAM7
    )


# PDF

_WHITESPACE = b"\x00\t\n\x0c\r "
_WHITE = rb"\x00\t\n\x0c\r "  # the same, for regular expressions
_REGULAR = rb"[^" + _WHITE + rb"()<>\[\]{}/%]"  # a byte that is neither white nor a delimiter
_SEPARATORS = frozenset(_WHITESPACE + b"()<>[]{}/%")
_NAME = re.compile(rb"/" + _REGULAR + rb"*")
# A dangerous name, or a name that spells a letter or digit as #xx: nothing needs that but
# hiding a name from a check like this one.
_DANGER = re.compile(
    rb"/(?:"
    + b"|".join(sorted(DANGEROUS_PDF_NAMES, key=len, reverse=True))
    + rb")(?!"
    + _REGULAR
    + rb")|/"
    + _REGULAR
    + rb"*?#(?:3[0-9]|[46][1-9A-Fa-f]|[57][0-9Aa])"
)
_OBJECT_HEADER = re.compile(
    rb"\d+[" + _WHITE + rb"]+\d+[" + _WHITE + rb"]*obj(?!" + _REGULAR + rb")"
)
_SYNTAX = re.compile(
    rb"(?=[%(<eos])"  # (much faster: the engine skips to these bytes)
    rb"(?:(?P<comment>%[^\r\n]*)"
    rb"|(?P<string>\([^()\\]*(?:\\.[^()\\]*)*\))"  # a string without nested parentheses
    rb"|(?P<nested>\()"
    rb"|(?P<hex>(?<!<)<(?!<)[^<>]*>)"
    rb"|(?P<keyword>stream|endobj|obj)(?!" + _REGULAR + rb"))",
    re.DOTALL,
)
_STRING_PART = re.compile(rb"[()\\]")
_FLATE = frozenset({b"/FlateDecode", b"/Fl"})
_FILTERS = _FLATE | {
    b"/" + name
    for name in (
        b"ASCIIHexDecode",
        b"AHx",
        b"ASCII85Decode",
        b"A85",
        b"LZWDecode",
        b"LZW",
        b"RunLengthDecode",
        b"RL",
        b"CCITTFaxDecode",
        b"CCF",
        b"DCTDecode",
        b"DCT",
        b"JBIG2Decode",
        b"JPXDecode",
        b"Crypt",
    )
}
_MAX_PDF_DANGERS = 1000  # dangerous-looking names in data we skip, before we give up
_MAX_PDF_TOKENS = 500_000  # strings, comments, keywords... no real evidence comes close


def _check_pdf(data: bytes) -> None:
    if b"%%EOF" not in data[-_PDF_EOF_WINDOW:]:
        raise UploadRefused("damaged")
    _PdfScan(data).run()


class _PdfScan:
    """Look for DANGEROUS_PDF_NAMES the way a reader would find them (see the module doc).

    Dangerous-looking names are found in one pass over the whole file. Each must then lie in
    something a reader skips (a string, a comment, stream data) after any object header in
    it, or the file is refused. A tokenizer finds those skipped parts and the streams; the
    dictionary of a stream tells whether it is an object stream, to be inflated and searched.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.dangers = [m.start() for m in itertools.islice(_DANGER.finditer(data), 1001)]
        if len(self.dangers) > _MAX_PDF_DANGERS:
            raise UploadRefused("type")
        self.next_danger = 0
        self.inflated = 0
        self.tokens = 0

    def run(self) -> None:
        data = self.data
        search = _SYNTAX.search
        check_skipped = self.skipped if self.dangers else None
        dictionary = 0  # where the current object's dictionary (for its stream) starts
        pos = 0
        while (match := search(data, pos)) is not None:
            self.tokens += 1
            if self.tokens > _MAX_PDF_TOKENS:
                raise UploadRefused("too_large")
            pos = match.end()
            token = match.lastgroup
            if token == "nested":
                pos = self.string_end(pos)
                if check_skipped:
                    check_skipped(match.start(), pos)
            elif token != "keyword":
                if check_skipped:
                    check_skipped(match.start(), pos)
            elif match.start() and data[match.start() - 1] not in _SEPARATORS:
                continue  # part of a longer word such as "endstream"
            elif match.group(token) != b"stream":
                dictionary = pos
            elif self.is_stream(dictionary, match.start()):
                start = pos + (2 if data.startswith(b"\r\n", pos) else 1)
                end = data.find(b"endstream", start)
                if end < 0:
                    raise UploadRefused("damaged")
                self.stream(set(_NAME.findall(data, dictionary, match.start())), start, end)
                pos = dictionary = end + len(b"endstream")
        self.skipped(len(data), len(data))

    def skipped(self, start: int, end: int) -> None:
        """data[start:end] is not parsed by a reader, unless it jumps to an object header."""
        dangers = self.dangers
        if self.next_danger == len(dangers):
            return
        if dangers[self.next_danger] < start:
            raise UploadRefused("type")  # in the syntax before this skipped part
        header = _OBJECT_HEADER.search(self.data, start, end)
        while self.next_danger < len(dangers) and dangers[self.next_danger] < end:
            if header is not None and header.end() <= dangers[self.next_danger]:
                raise UploadRefused("type")
            self.next_danger += 1

    def is_stream(self, dictionary: int, keyword: int) -> bool:
        """Whether the "stream" at `keyword` follows a dictionary, as it must to be one."""
        close = self.data.rfind(b">>", dictionary, keyword)
        return close >= 0 and not self.data[close + 2 : keyword].strip(_WHITESPACE)

    def stream(self, names: set[bytes], start: int, end: int) -> None:
        if b"/XRef" in names and names & _FLATE:
            # Not searched (it holds offsets), but bounded: qpdf (see `clean`) inflates it whole.
            self.inflate(self.data[start:end])
        if b"/ObjStm" not in names and not {b"/First", b"/N"} <= names:
            self.skipped(start, end)
            return
        # An object stream holds dictionaries without object headers, found by offsets.
        body = self.data[start:end]
        if b"/Filter" in names or b"/F" in names:
            filters = names & _FILTERS
            if not filters or filters - _FLATE or names & {b"/DecodeParms", b"/DP"}:
                raise UploadRefused("type")  # an object stream we cannot read
            body = self.inflate(body)
        if _DANGER.search(body) is not None:
            raise UploadRefused("type")
        self.skipped(start, end)  # its raw bytes, like those of any other stream

    def inflate(self, body: bytes) -> bytes:
        allowed = MAX_PDF_INFLATED - self.inflated
        inflater = zlib.decompressobj()
        try:
            out = inflater.decompress(body, allowed + 1)
        except zlib.error:
            # Encrypted object streams do not inflate before decryption, which we do not do.
            raise UploadRefused("type" if b"/Encrypt" in self.data else "damaged") from None
        if len(out) > allowed:
            raise UploadRefused("too_large")
        if not inflater.eof:
            raise UploadRefused("damaged")
        self.inflated += len(out)
        return out

    def string_end(self, pos: int) -> int:
        """The end of the literal string whose "(" ends at `pos` (strings nest; \\ escapes)."""
        data = self.data
        depth = 1
        while (match := _STRING_PART.search(data, pos)) is not None:
            self.tokens += 1
            if self.tokens > _MAX_PDF_TOKENS:
                raise UploadRefused("too_large")
            char = data[match.start()]
            pos = match.end()
            if char == 0x5C:  # backslash: the next byte is escaped
                pos += 1
            elif char == 0x28:
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    return pos
        raise UploadRefused("damaged")


_PRIVATE_KEYS = ("/Metadata", "/PieceInfo")  # XMP, and an application's private data


def _clean_pdf(data: bytes) -> bytes:
    """`data` (which passed `_check_pdf`) rewritten by qpdf without metadata (see module doc)."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            for found in pdf.objects:
                if isinstance(found, (pikepdf.Dictionary, pikepdf.Stream)):
                    for key in _PRIVATE_KEYS:
                        if key in found:
                            del found[key]
            out = io.BytesIO()
            pdf.save(
                out,
                encryption=False,
                object_stream_mode=pikepdf.ObjectStreamMode.disable,
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
                fix_metadata_version=False,
            )
    except UploadRefused:
        raise
    except Exception:  # a password, or whatever qpdf cannot make sense of
        raise UploadRefused("damaged") from None
    cleaned = out.getvalue()
    _check_pdf(cleaned)  # what qpdf made of it, all of it now in plain sight
    return cleaned


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
