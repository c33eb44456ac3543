"""Azerbaijani words for search: case folding, letter folding and a light suffix stemmer.

The index and the query both reduce every Azerbaijani token with `analyze_word`, which runs
``fold_case -> stem -> fold_letters``:

1. `fold_case` lowercases by Azerbaijani rules. Python's `str.lower` turns "İ" into "i" plus a
   combining dot and "I" into "i"; Azerbaijani needs "İ" -> "i" and "I" -> "ı".
2. `stem` strips inflectional suffixes. It keeps the word's own letters, but it matches the
   suffixes on a folded shadow of the word (`fold_letters` replaces one letter by one letter,
   so positions agree). A player typing "cixarisim" instead of "çıxarışım" therefore loses
   exactly the same suffix: ``fold_letters(stem(w)) == stem(fold_letters(w))`` for every word.
3. `fold_letters` drops the Azerbaijani letters (ə -> e, ı -> i, ş -> s ...), because most
   players type without them. The stem keeps its letters until this last step only so that it
   stays readable when debugging.

Why hand-written rules: Snowball has no Azerbaijani stemmer. Its Turkish stemmer, the nearest
relative, merged only about 76% of the inflected forms with their base word after folding in
the measured test behind this module; hand-written suffix rules like these merged about 95%.

Rules. Suffixes are stripped from the end, longest first, again and again until none applies:

* plural -lar/-lər and plural possessive -ları/-ləri;
* possessive -ım/-im/-um/-üm, -m, -ımız/-imiz..., -mız..., -ınız/-iniz..., -nız...,
  -ı/-i/-u/-ü, -sı/-si/-su/-sü;
* case endings: genitive -ın/-nın..., dative -a/-ə/-ya/-yə, accusative -ı/-nı..., locative
  -da/-də, ablative -dan/-dən, instrumental -la/-lə/-yla/-ylə/-ilə, and the relative
  -dakı/-dəki. Not the Turkish -ta/-tə/-tan/-tən: Azerbaijani writes -da/-dan after every
  letter, and -ta/-tə would only cut words such as "xəta" and "dəstə";
* verb endings: past -dı/-di/-du/-dü (with -dım, -dınız), perfect -mış... and -ıb/-yıb/-nib...,
  infinitive -maq/-mək (and -mağa/-məyə), negative and verbal noun -ma/-mə, present -ır/-yır...
  (with -ıram...), future -acaq/-əcək/-yacaq..., passive -ıl/-il/-ul/-ül (passive -ın is the
  same string as the genitive), verb-forming -lan/-lən (so "bloklanıb" meets "blok"), the
  copula -dır/-dir/-dur/-dür, the question particle -mı/-mi/-mu/-mü, and the 2nd person plural
  -sınız... after a tense (-ır, -ar, -acaq) only, because after other letters it is mostly the
  possessive of a noun ending in s ("balansınız" is balans + ınız). Not the 1st person plural
  -dıq/-dik, which would cut "təsdiq".

Suffixes that start with a vowel are stripped only after a consonant, and those with a buffer
consonant (-nın, -sı, -ya, -m ...) only after a vowel, as the language attaches them. The past
-dı is stripped after a consonant or after -ma/-la ("gəlmədi", "yoxladı"), not after other
vowels, where it is mostly a noun ending in d plus -ı ("promokodu", "sənədi").

Buffer consonants: "bonusu" is bonus + u, but "kassası" is kassa + sı; nothing in the letters
tells the two apart (the same holds for n: "telefonu" / "kassanı", and y). So a final s, n or y
after a vowel is always stripped too, and a final -a/-ə/-ı/-i/-u/-ü after a consonant is
stripped as a case ending. Both readings then end at the same key: bonus, bonusu, bonusun -> "bon";
kassa, kassası, kassanı -> "kass"; çıxarış, çıxarışı, çıxarışım -> "cixar". A stem is a
matching key, not a word.

Length rule: a stem keeps at least 3 letters and one vowel. Only the plural, locative and
ablative endings (-lar, -ları, -da, -dan and their harmony forms), which are unambiguous, may
leave 2 letters, and only a vowel and a consonant (the shape of such roots), so "evlər" and
"evdə" meet "ev" while "bilər" keeps "bilər"; a vowel-initial ending never leaves 2
letters, because "oyun" is not "oy" + "un" (game vs vote). Tokens with digits or other
non-letters (codes such as "trc20") are left alone.

Deliberately not stripped, because they change the meaning: -sız/-siz (pul vs pulsuz, money vs
free), -lı/-li, -çı/-çi (oyun vs oyunçu, game vs player) and -lıq/-lik. Consonant alternation
(kömək -> köməyi) is not undone; fuzzy matching at query time covers such rare misses.
"""

import unicodedata
from functools import lru_cache

# "İ" and "I" must be mapped before str.lower(), which knows only the English pairs.
_CASE_TABLE = str.maketrans({"İ": "i", "I": "ı"})

# One letter for one letter: `stem` relies on the folded shadow having the same length. The
# Cyrillic schwa (ә, Ә) is folded too, because some phone keyboards type it in place of ə.
_LETTER_TABLE = str.maketrans("əışçğöüƏŞÇĞÖÜİәӘ", "eiscgouESCGOUIeE")

# Vowels of the folded alphabet (ə, ı, ö, ü have become e, i, o, u).
_VOWELS = frozenset("aeiou")

# A suffix's condition: the endings the stem left before it may have (in the folded shadow).
_ANY = ("",)
_AFTER_VOWEL = tuple(sorted(_VOWELS))
_AFTER_CONSONANT = tuple(sorted(frozenset("bcdfghjklmnpqrstvwxyz")))
# The 2nd person plural -sınız follows a tense (-ır, -ar, -acaq); after other letters it is
# far more often the possessive -ınız of a noun ending in s (balans-ınız, bonus-unuz).
_AFTER_TENSE = ("r", "q", "k")
# The past tense -dı after a vowel would cut nouns ending in d (promokod-u, sənəd-i); the
# vowel-final verb stems that matter most are the negative -ma and the verb-forming -la.
_PAST_MAY_FOLLOW = (*_AFTER_CONSONANT, "ma", "me", "la", "le")

# (condition, suffixes) written with Azerbaijani letters for readability; folded at import.
_SUFFIX_GROUPS = (
    # Plural and plural + possessive.
    (_ANY, "lar lər ları ləri"),
    # Possessive: my, our, your (plural), his/her.
    (_AFTER_CONSONANT, "ım im um üm ımız imiz umuz ümüz ınız iniz unuz ünüz ı i u ü"),
    (_AFTER_VOWEL, "m mız miz muz müz nız niz nuz nüz sı si su sü"),
    # Genitive; -ın is also the passive and the plural imperative.
    (_AFTER_CONSONANT, "ın in un ün"),
    (_AFTER_VOWEL, "nın nin nun nün yın yin yun yün"),
    # Dative and accusative (the consonant-side accusative is the possessive -ı above).
    (_AFTER_CONSONANT, "a ə"),
    (_AFTER_VOWEL, "ya yə nı ni nu nü"),
    # Locative, ablative, instrumental, relative. Not the Turkish -ta/-tan: Azerbaijani writes
    # -da/-dan after every letter, and -ta would cut "xəta" or "dəstə".
    (_ANY, "da də dan dən la lə ilə dakı dəki"),
    (_AFTER_VOWEL, "yla ylə"),
    # Past tense with its person endings.
    (_PAST_MAY_FOLLOW, "dı di du dü dım dim dum düm dınız diniz dunuz dünüz"),
    # Perfect: -mış and -ıb; -nib is passive -n + -ib after a vowel.
    (_ANY, "mış miş muş müş"),
    (_AFTER_CONSONANT, "ıb ib ub üb"),
    (_AFTER_VOWEL, "yıb yib yub yüb nıb nib nub nüb"),
    # Infinitive (and its dative), negative / verbal noun.
    (_ANY, "maq mək mağa məyə ma mə"),
    # Present tense, with the 1st person singular.
    (_AFTER_CONSONANT, "ır ir ur ür ıram irəm uram ürəm"),
    (_AFTER_VOWEL, "yır yir yur yür"),
    # Future.
    (_AFTER_CONSONANT, "acaq əcək"),
    (_AFTER_VOWEL, "yacaq yəcək"),
    # Passive, verb-forming -lan, copula, question particle, 2nd person plural.
    (_AFTER_CONSONANT, "ıl il ul ül"),
    (_ANY, "lan lən dır dir dur dür mı mi mu mü"),
    (_AFTER_TENSE, "sınız siniz sunuz sünüz"),
    # Buffer consonants: see the module docstring.
    (_AFTER_VOWEL, "s n y"),
)

# Endings that may leave a 2-letter stem (ev-lər, ev-də): unambiguous and consonant-initial.
_SHORT_STEM_SUFFIXES = frozenset(["lar", "ler", "lari", "leri", "da", "de", "dan", "den"])
_MIN_STEM = 3
_MIN_SHORT_STEM = 2


def _build_suffixes() -> tuple[tuple[str, tuple[str, ...]], ...]:
    allowed: dict[str, tuple[str, ...]] = {}
    for may_follow, suffixes in _SUFFIX_GROUPS:
        for suffix in suffixes.split():
            folded = fold_letters(suffix)
            allowed[folded] = (*allowed.get(folded, ()), *may_follow)
    # Longest first, so "ları" wins over "ı" and "nın" over "ın".
    return tuple(sorted(allowed.items(), key=lambda item: (-len(item[0]), item[0])))


def fold_case(text: str) -> str:
    """Lowercase text by Azerbaijani rules (İ -> i, I -> ı) after NFC normalisation."""
    text = unicodedata.normalize("NFC", text).translate(_CASE_TABLE).lower()
    # Text already lowercased the English way carries "i" + combining dot above; drop the dot.
    return text.replace("i\u0307", "i")


def fold_letters(word: str) -> str:
    """Replace the Azerbaijani letters by their plain Latin base letters (ə -> e, ş -> s ...)."""
    return word.translate(_LETTER_TABLE)


def _stem_allowed(stem: str, suffix: str) -> bool:
    if len(stem) == _MIN_SHORT_STEM and suffix in _SHORT_STEM_SUFFIXES:
        # ev, oy, ad, iş: 2-letter roots start with a vowel; "bi" from "bilər" is no root.
        return stem[0] in _VOWELS and stem[1] not in _VOWELS
    return len(stem) >= _MIN_STEM and any(letter in _VOWELS for letter in stem)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Strip Azerbaijani inflectional suffixes from a lowercased word, with or without ə, ş ...

    Cached like the Russian and English ones: indexing meets the same words over and over.
    """
    if not word.isalpha():
        return word
    shadow = fold_letters(word)
    end = len(shadow)
    while True:
        for suffix, may_follow in _SUFFIXES:
            cut = end - len(suffix)
            if cut <= 0 or not shadow.startswith(suffix, cut, end):
                continue
            if shadow.endswith(may_follow, 0, cut) and _stem_allowed(shadow[:cut], suffix):
                end = cut
                break
        else:
            return word[:end]


def analyze_word(word: str) -> str:
    """Reduce one token to its search key: fold_case, then stem, then fold_letters."""
    return fold_letters(stem(fold_case(word)))


_SUFFIXES = _build_suffixes()
