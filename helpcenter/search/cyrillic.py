"""Russian typed in Latin letters or with the wrong keyboard layout, turned back into Cyrillic.

Players in Azerbaijan often write Russian with Latin letters ("kak vyvesti dengi") or type it
with the keyboard still on the Latin layout ("ghbdtn" for "привет"). The query side rewrites
such text so that it meets the Russian articles; the search is fuzzy, so the rewrite has to be
close, not perfect.

`latin_to_cyrillic` uses a small greedy table of its own rather than the `transliterate`
package: that package reverses one standard romanisation each, and mangles the spellings
players really use, such as "verifikatsiya" next to "verifikaciya", "schet" and "vyvod". The
table is matched longest first: "shch" -> щ, "sch" -> сч (as in "schet"), "zh", "kh", "ts",
"ch", "sh", "ya", "yu", "yo", "ye", "ja", "ju", "jo", then single letters. Context rules:
"c" is ц before e, i, y and к elsewhere; "y" is й after a vowel or at the start of a word and ы
after a consonant; "iy" and "yy" are ий and ый unless a vowel follows; a word-final "tsya" is
-тся; "x" is кс, "w" в, "q" к, "h" х, "j" й and "'" ь. The soft sign is otherwise lost
("parol" -> "парол"), except in the forms of "деньги", the one word players type all the time.

`swap_layout` maps each key of the US QWERTY layout to the key of the Russian ЙЦУКЕН layout in
the same place, and back. Letters are swapped per character. Punctuation keys are shared by
both layouts ("." is ю on one side and the "/" key on the other), so their direction follows
the script of the text: Latin-looking text is taken as Russian typed on the Latin layout.
"""

import unicodedata

# Longest first; a word-final "tsya" and the "iy"/"yy" pairs are handled before this table.
_MULTI = (
    ("shch", "щ"),
    ("sch", "сч"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("ya", "я"),
    ("yu", "ю"),
    ("yo", "ё"),
    ("ye", "е"),
    ("ja", "я"),
    ("ju", "ю"),
    ("jo", "ё"),
)
_SINGLE = {
    "a": "а",
    "b": "б",
    "d": "д",
    "e": "е",
    "f": "ф",
    "g": "г",
    "h": "х",
    "i": "и",
    "j": "й",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "q": "к",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "v": "в",
    "w": "в",
    "x": "кс",
    "z": "з",
    "'": "ь",
}
_LATIN_VOWELS = frozenset("aeiouy")
# "dengi" has a soft sign no letter rule can see; its forms all start with "deng".
_WORD_STARTS = (("deng", "деньг"),)

# The same physical keys: US QWERTY on the left, Russian ЙЦУКЕН on the right.
_LATIN_KEYS = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>~"
_CYRILLIC_KEYS = "йцукенгшщзхъфывапролджэячсмитьбюёЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮЁ"
# Keys that are punctuation on one layout at least; which way they go depends on the text.
_LATIN_PUNCTUATION = "/?|@#$^&"
_RUSSIAN_PUNCTUATION = '.,/"№;:?'


def _letter_maps() -> tuple[dict[int, str], dict[int, str]]:
    to_cyrillic = {}
    to_latin = {}
    for latin, cyrillic in zip(_LATIN_KEYS, _CYRILLIC_KEYS, strict=True):
        to_cyrillic[ord(latin)] = cyrillic
        to_latin[ord(cyrillic)] = latin
    return to_cyrillic, to_latin


_KEY_TO_CYRILLIC, _KEY_TO_LATIN = _letter_maps()
_CYRILLIC_LETTERS_TO_LATIN = {
    code: latin for code, latin in _KEY_TO_LATIN.items() if chr(code).isalpha()
}
_LATIN_LETTERS_TO_CYRILLIC = {
    code: cyrillic for code, cyrillic in _KEY_TO_CYRILLIC.items() if chr(code).isalpha()
}
# Text that looks Latin: every Latin-side key, punctuation included, becomes its Russian key;
# Cyrillic letters in it are still swapped back.
_LATIN_TEXT_TABLE = {
    **_CYRILLIC_LETTERS_TO_LATIN,
    **_KEY_TO_CYRILLIC,
    **str.maketrans(_LATIN_PUNCTUATION, _RUSSIAN_PUNCTUATION),
}
# Text that looks Cyrillic: English typed on the Russian layout. Cyrillic letters (б, ю, ж, х
# ... included) become their keys, the Russian punctuation its US key.
_CYRILLIC_TEXT_TABLE = {
    **_LATIN_LETTERS_TO_CYRILLIC,
    **_KEY_TO_LATIN,
    **str.maketrans(_RUSSIAN_PUNCTUATION, _LATIN_PUNCTUATION),
}


def _is_latin_letter(char: str) -> bool:
    return "a" <= char <= "z" or char == "'"


def _translate_at(text: str, i: int) -> tuple[int, str]:
    """Return how many characters of lowercase text at i form one unit, and their Cyrillic."""
    char = text[i]
    if not _is_latin_letter(char):
        return 1, char
    word_start = i == 0 or not _is_latin_letter(text[i - 1])
    if word_start:
        for latin, cyrillic in _WORD_STARTS:
            if text.startswith(latin, i):
                return len(latin), cyrillic
    if text.startswith("tsya", i) and not _is_latin_letter(text[i + 4 : i + 5]):
        return 4, "тся"
    for pair, cyrillic in (("iy", "ий"), ("yy", "ый")):
        if text.startswith(pair, i) and text[i + 2 : i + 3] not in _LATIN_VOWELS:
            return 2, cyrillic
    for latin, cyrillic in _MULTI:
        if text.startswith(latin, i):
            return len(latin), cyrillic
    if char == "c":
        return 1, "ц" if text[i + 1 : i + 2] in ("e", "i", "y") else "к"
    if char == "y":
        return 1, "й" if word_start or text[i - 1] in _LATIN_VOWELS else "ы"
    return 1, _SINGLE[char]


def _match_case(source: str, cyrillic: str) -> str:
    if not source[0].isupper():
        return cyrillic
    if len(source) > 1 and source.isupper():
        return cyrillic.upper()
    return cyrillic[:1].upper() + cyrillic[1:]


def latin_to_cyrillic(text: str) -> str:
    """Transliterate Russian typed in Latin letters back into Cyrillic ("vyvod" -> "вывод")."""
    # Only ASCII letters are lowercased, so positions in `lower` match those in `text`.
    lower = "".join(char.lower() if char.isascii() else char for char in text)
    out = []
    i = 0
    while i < len(text):
        length, cyrillic = _translate_at(lower, i)
        out.append(_match_case(text[i : i + length], cyrillic))
        i += length
    return "".join(out)


def swap_layout(text: str) -> str:
    """Retype text on the other layout, QWERTY <-> ЙЦУКЕН key by key ("ghbdtn" -> "привет")."""
    table = _CYRILLIC_TEXT_TABLE if looks_cyrillic(text) else _LATIN_TEXT_TABLE
    return text.translate(table)


def _mostly_in_script(text: str, script: str) -> bool:
    letters = [char for char in text if char.isalpha()]
    in_script = sum(unicodedata.name(char, "").startswith(script) for char in letters)
    return in_script * 2 > len(letters)


def looks_latin(text: str) -> bool:
    """Tell whether most letters of text are Latin (Azerbaijani letters included)."""
    return _mostly_in_script(text, "LATIN")


def looks_cyrillic(text: str) -> bool:
    """Tell whether most letters of text are Cyrillic."""
    return _mostly_in_script(text, "CYRILLIC")
