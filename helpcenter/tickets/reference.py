"""Ticket reference numbers a player can read over the phone: `HC-7K4MQ9TX-3`.

Format: `HC-`, 8 symbols of Crockford base32 (`0-9` and `A-Z` without I, L, O and U), `-`, and
one check symbol from the same alphabet; 13 characters in all, always upper case.

Why:
- Phone-readable: Crockford's alphabet leaves out the letters people confuse with digits (I, L,
  O) and U (accidental words), so `normalize` can read O as 0 and I or L as 1, and case,
  spaces and dashes don't matter.
- The check symbol catches typos before a lookup: every single-symbol substitution and every
  transposition of two different symbols (adjacent or not, the check symbol included).
- Random (40 bits from `secrets`), not sequential, so references can't be enumerated and don't
  tell how many tickets there are. A reference only names a ticket; it does not grant access to
  it: that is the separate secret access token, kept elsewhere.

Check symbol: the 9 symbols v_0..v_8 (v_8 the check) are elements of GF(32), the field of
polynomials over GF(2) modulo x^5 + x^2 + 1, and must satisfy sum(a^(i+1) * v_i) + v_8 = 0
with a = x, which has order 31. All 9 weights a^1..a^8, a^0 = 1 are distinct and nonzero, so:
- a substitution v_i -> v_i' changes the sum by a^k * (v_i - v_i') != 0;
- swapping v_i != v_j changes it by (a^k - a^m) * (v_i - v_j) != 0, a product of nonzero
  field elements.
Luhn mod 32 would not do: it misses the adjacent transposition 0Z <-> Z0, as Luhn mod 10
misses 09 <-> 90.
"""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "HC"
BODY_LENGTH = 8
MAX_INPUT_LENGTH = 64

_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
# What people type, ASCII only: lower case, and Crockford's confusions O -> 0, I and L -> 1.
_READ = {
    **_VALUE,
    **{symbol.lower(): value for symbol, value in _VALUE.items() if symbol.isalpha()},
    **{letter: 0 for letter in "Oo"},
    **{letter: 1 for letter in "IiLl"},
}
_SEPARATORS = frozenset(" -")
_SURROUNDING_WHITESPACE = " \t\n\r\f\v"
_MODULUS = 0b100101  # x^5 + x^2 + 1, irreducible over GF(2)


def _gf32_mul(a: int, b: int) -> int:
    product = 0
    while b:
        if b & 1:
            product ^= a
        b >>= 1
        a <<= 1
        if a & 0b100000:
            a ^= _MODULUS
    return product


def _weights() -> list[int]:
    weights, w = [], 1
    for _ in range(BODY_LENGTH):
        w = _gf32_mul(w, 2)
        weights.append(w)
    return weights


# _TIMES[i][v] = a^(i+1) * v in GF(32).
_TIMES = [[_gf32_mul(w, v) for v in range(32)] for w in _weights()]


def _check_value(body: list[int]) -> int:
    check = 0
    for times, value in zip(_TIMES, body, strict=True):
        check ^= times[value]  # addition in GF(2^5) is XOR
    return check


def _format(body: list[int]) -> str:
    symbols = "".join(ALPHABET[v] for v in body)
    return f"{PREFIX}-{symbols}-{ALPHABET[_check_value(body)]}"


def generate() -> str:
    """A new random reference in canonical form, e.g. `HC-7K4MQ9TX-3`."""
    bits = secrets.randbits(5 * BODY_LENGTH)
    return _format([(bits >> (5 * i)) & 31 for i in range(BODY_LENGTH)])


def normalize(text: str) -> str | None:
    """The canonical `HC-XXXXXXXX-C` for a reference as a person typed it, else None.

    Accepts any case, surrounding whitespace, spaces and dashes anywhere, no `HC` prefix, and O
    for 0, I or L for 1. None for anything else: wrong length, a symbol outside the alphabet
    (U, non-ASCII, control characters), a check symbol that doesn't match, more than
    MAX_INPUT_LENGTH characters. Never raises.
    """
    if not isinstance(text, str) or len(text) > MAX_INPUT_LENGTH:
        return None
    compact = [c for c in text.strip(_SURROUNDING_WHITESPACE) if c not in _SEPARATORS]
    if len(compact) == len(PREFIX) + BODY_LENGTH + 1 and compact[0] in "Hh" and compact[1] in "Cc":
        compact = compact[len(PREFIX) :]
    if len(compact) != BODY_LENGTH + 1:
        return None
    values = [_READ.get(c) for c in compact]
    if None in values:
        return None
    body, check = values[:BODY_LENGTH], values[BODY_LENGTH]
    if _check_value(body) != check:
        return None
    return _format(body)


def is_valid(text: str) -> bool:
    """Whether `text` is a reference `normalize` accepts."""
    return normalize(text) is not None
