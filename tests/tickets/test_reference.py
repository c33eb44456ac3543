"""Ticket references: the canonical form, what normalize accepts, and the check symbol's power."""

import random
import re

import pytest

from helpcenter.tickets.reference import ALPHABET, generate, is_valid, normalize

CANONICAL = re.compile(r"^HC-[0-9A-HJKMNP-TV-Z]{8}-[0-9A-HJKMNP-TV-Z]$")

# Pinned: references already handed out must stay valid if the module is rewritten.
KNOWN = [
    "HC-7K4MQ9TX-N",
    "HC-00000000-0",
    "HC-ZZZZZZZZ-3",
    "HC-0123ABCD-J",
    "HC-1100Z0Z1-J",
]

REF = "HC-7K4MQ9TX-N"
REF_01 = "HC-1100Z0Z1-J"


def _rng(seed: int) -> random.Random:
    return random.Random(seed)


def _symbols(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(n))


def _complete(body: str) -> str:
    """The valid reference with these 8 symbols, found by trying every check symbol."""
    valid = [f"HC-{body}-{c}" for c in ALPHABET if is_valid(f"HC-{body}-{c}")]
    assert len(valid) == 1, (body, valid)
    return valid[0]


def _join(symbols: str) -> str:
    return f"HC-{symbols[:8]}-{symbols[8]}"


def _unjoin(reference: str) -> str:
    return reference[3:11] + reference[12]


def _random_references(seed: int, n: int) -> list[str]:
    rng = _rng(seed)
    return [_complete(_symbols(rng, 8)) for _ in range(n)]


@pytest.mark.parametrize("reference", KNOWN)
def test_known_references_are_canonical_and_valid(reference):
    assert CANONICAL.match(reference)
    assert normalize(reference) == reference
    assert is_valid(reference)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("HC-7K4MQ9TX-N", REF),
        ("hc-7k4mq9tx-n", REF),
        ("Hc-7K4mq9Tx-n", REF),
        ("HC7K4MQ9TXN", REF),
        ("hc7k4mq9txn", REF),
        ("7K4MQ9TX-N", REF),
        ("7K4MQ9TXN", REF),
        ("7k4mq9txn", REF),
        ("  HC-7K4MQ9TX-N  ", REF),
        ("\tHC-7K4MQ9TX-N\r\n", REF),
        ("HC 7K4M Q9TX N", REF),
        ("7K4 MQ9 TXN", REF),
        ("H C - 7 K 4 M Q 9 T X - N", REF),
        ("HC--7K4M-Q9TX--N-", REF),
        ("-7K4MQ9TX-N-", REF),
        ("HC-7K4MQ9TXN", REF),
        ("HC7K4MQ9TX-N", REF),
        ("HC-1100Z0Z1-J", REF_01),
        ("HC-11OOZOZ1-J", REF_01),
        ("HC-1100ZoZ1-J", REF_01),
        ("HC-IL00Z0Zl-J", REF_01),
        ("hc-il00z0zi-j", REF_01),
        ("HC-iLoOZ0ZI-J", REF_01),
        ("IlOoZ0Z1J", REF_01),
        ("HC-00000000-O", "HC-00000000-0"),
        ("oooooooo0", "HC-00000000-0"),
        # Without the prefix, 9 symbols are the whole reference, even if they start with HC.
        (_complete("HC000000")[3:], _complete("HC000000")),
        (_complete("HC000000"), _complete("HC000000")),
        ("HC" + _complete("HC000000")[3:].replace("-", ""), _complete("HC000000")),
    ],
)
def test_normalize_accepts_what_people_type(typed, expected):
    assert normalize(typed) == expected
    assert is_valid(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        " ",
        "-",
        "HC",
        "HC-",
        "HC--",
        "HC-7K4MQ9TX-M",  # wrong check symbol
        "HC-7K4MQ9TX-0",
        "HC-7K4MQ9TX",  # no check symbol
        "HC-7K4MQ9T-N",  # 7 symbols
        "HC-7K4MQ9TXX-N",  # 9 symbols
        "HC-7K4MQ9TX-NN",
        "HC-7K4MQ9TX-N-HC",
        "XX-7K4MQ9TX-N",  # another prefix
        "HD-7K4MQ9TX-N",
        "CH-7K4MQ9TX-N",
        "HHC-7K4MQ9TX-N",
        "HC-7K4UQ9TX-N",  # U is not in the alphabet
        "HC-7K4uQ9TX-N",
        "HC-UUUUUUUU-U",
        "HC-7K4MQ9TX-U",
        "HC_7K4MQ9TX_N",  # other separators
        "HC.7K4MQ9TX.N",
        "HC/7K4MQ9TX/N",
        "HC-7K4MQ9TX-N.",
        "HC-7K4MQ9TX-N\x00",  # NUL
        "\x00HC-7K4MQ9TX-N",
        "HC-7K4M\x00Q9TX-N",
        "HC-7K4M\tQ9TX-N",  # control characters inside
        "HC-7K4M\nQ9TX-N",
        "HC-7K4M\x1bQ9TX-N",
        "HC-7K4M\x7fQ9TX-N",
        "\x1fHC-7K4MQ9TX-N",
        "HC-7K4MQ9TX-N\u200b",  # zero-width space
        "HC-7K4MQ9TX-N\u00a0",  # no-break space
        "HC\u20137K4MQ9TX\u2013N",  # en dashes
        "HC-7K4MQ9TX-N🎰",  # emoji
        "HC-7K4MQ9🎰X-N",
        "🎰🎰🎰🎰🎰🎰🎰🎰🎰",
        "HC-７K4MQ9TX-N",  # fullwidth digit
        "HC-7Κ4MQ9TX-N",  # Greek capital kappa
        "HC-11\u0131\u0131Z0Z1-J",  # dotless i, whose upper case is I
        "ΗC-7K4MQ9TX-N",  # Greek capital eta
        "ﬀ",
        "garbage",
        "DROP TABLE tickets;",
        "<script>alert(1)</script>",
        "HC-7K4MQ9TX-N" * 2,
        "HC-7K4MQ9TX-N" + " " * 52,  # 65 characters
        " " * 100 + "HC-7K4MQ9TX-N",
        "-" * 70 + "7K4MQ9TXN",
        "\ud800",  # lone surrogate
    ],
)
def test_normalize_rejects(typed):
    assert normalize(typed) is None
    assert not is_valid(typed)


def test_input_up_to_64_characters_is_read():
    padded = REF + " " * (64 - len(REF))
    assert len(padded) == 64
    assert normalize(padded) == REF
    assert normalize(padded + " ") is None


@pytest.mark.parametrize("value", [None, 123, b"HC-7K4MQ9TX-N", ["HC-7K4MQ9TX-N"]])
def test_normalize_returns_none_for_non_strings(value):
    assert normalize(value) is None


def test_normalize_never_raises():
    rng = _rng(1)
    pools = [
        ALPHABET + ALPHABET.lower() + "oOiIlLuU -",
        "".join(chr(c) for c in range(128)),
        "".join(chr(c) for c in range(0x2000)) + "🎰\ud800\udfff\U0010ffff",
    ]
    for _ in range(20_000):
        pool = rng.choice(pools)
        text = "".join(rng.choice(pool) for _ in range(rng.randrange(80)))
        result = normalize(text)
        assert result is None or CANONICAL.match(result)


def test_each_body_has_exactly_one_check_symbol():
    rng = _rng(2)
    for _ in range(500):
        _complete(_symbols(rng, 8))  # asserts uniqueness


def test_every_substitution_is_caught():
    """Every symbol of many random references, check symbol included, replaced by each other."""
    for reference in _random_references(seed=3, n=400):
        symbols = _unjoin(reference)
        for position, original in enumerate(symbols):
            for replacement in ALPHABET:
                if replacement != original:
                    typo = symbols[:position] + replacement + symbols[position + 1 :]
                    assert normalize(_join(typo)) is None, (reference, _join(typo))


def test_every_adjacent_transposition_is_caught():
    """Adjacent different symbols swapped, in the 8 and between the last one and the check."""
    for reference in _random_references(seed=4, n=2_000):
        symbols = _unjoin(reference)
        for i in range(len(symbols) - 1):
            a, b = symbols[i], symbols[i + 1]
            if a != b:
                typo = symbols[:i] + b + a + symbols[i + 2 :]
                assert normalize(_join(typo)) is None, (reference, _join(typo))


def test_every_transposition_is_caught():
    """Not only adjacent ones: any two different symbols of the 9 swapped."""
    for reference in _random_references(seed=5, n=300):
        symbols = list(_unjoin(reference))
        for i in range(len(symbols)):
            for j in range(i + 1, len(symbols)):
                if symbols[i] != symbols[j]:
                    typo = symbols.copy()
                    typo[i], typo[j] = typo[j], typo[i]
                    assert normalize(_join("".join(typo))) is None, (reference, typo)


def test_every_pair_of_symbols_at_every_adjacent_body_position():
    """All 32 x 31 ordered pairs at each adjacent position of the 8, random symbols around.

    Random references rarely hold a given pair where it matters (Luhn mod 32, for one, misses
    only 0Z <-> Z0), so every pair is placed at every position, and each substitution of the
    pair's first symbol is tried too.
    """
    rng = _rng(6)
    for i in range(7):
        for a in ALPHABET:
            for b in ALPHABET:
                if a == b:
                    continue
                body = list(_symbols(rng, 8))
                body[i], body[i + 1] = a, b
                symbols = _unjoin(_complete("".join(body)))
                swapped = symbols[:i] + b + a + symbols[i + 2 :]
                assert normalize(_join(swapped)) is None, (symbols, swapped)
                substituted = symbols[:i] + b + symbols[i + 1 :]
                assert normalize(_join(substituted)) is None, (symbols, substituted)


def test_generate_yields_distinct_valid_canonical_references():
    references = [generate() for _ in range(10_000)]
    assert len(set(references)) == len(references)
    for reference in references:
        assert CANONICAL.match(reference), reference
        assert normalize(reference) == reference
        assert normalize(reference.lower().replace("-", "")) == reference


def test_generate_uses_every_symbol_at_every_position():
    """Random, not sequential: with 10,000 references each of the 32 symbols appears everywhere."""
    references = [generate() for _ in range(10_000)]
    for position in range(3, 11):
        assert {r[position] for r in references} == set(ALPHABET), position
