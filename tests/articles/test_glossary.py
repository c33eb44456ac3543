"""The glossary: which words it finds, and `content check` warning of them."""

import pytest

from helpcenter.articles import glossary
from helpcenter.articles.content import read_content
from tests.conftest import CONTENT_DIR

GLOSSARY = """\
# Test glossary
terms:
  - concept: two-factor authentication
    note: "A second step after the password."
    en: {use: "two-factor authentication", avoid: ["2-step verification"]}
    az:
      use: "iki mərhələli doğrulama"
      avoid: ["iki faktorlu doğrulama", "iki faktorlu autentifikasiya"]
    ru: {use: "двухфакторная аутентификация", avoid: ["двухэтапная проверка"]}
  - concept: password
    az: {use: "şifrə", avoid: ["parol"]}
  - concept: email
    en: {use: "email", avoid: ["e-mail"]}
  - concept: quotation marks
    az: {use: "«»", avoid: ["\\""]}
"""


@pytest.fixture
def terms(tmp_path) -> glossary.Glossary:
    path = tmp_path / "glossary.yml"
    path.write_text(GLOSSARY, encoding="utf-8")
    loaded = glossary.load(path)
    assert loaded is not None
    return loaded


def found(terms, text: str, lang: str = "az") -> list[tuple[int, str, str]]:
    return [(hit.line, hit.variant, hit.use) for hit in terms.check(lang, body_md=text)]


@pytest.mark.parametrize(
    "text",
    [
        "iki faktorlu doğrulama",
        "İki faktorlu doğrulamanı yandırın.",  # capital dotted İ, an inflected ending
        "IKI FAKTORLU DOĞRULAMADAN",
        "Sonra iki\nfaktorlu   doğrulama açılır.",  # a line break inside the phrase
    ],
)
def test_a_variant_matches_in_any_case_with_any_ending_across_lines(terms, text):
    assert found(terms, text) == [(1, "iki faktorlu doğrulama", "iki mərhələli doğrulama")]


@pytest.mark.parametrize(
    "text",
    [
        "Mübariki faktorlu doğrulama",  # inside another word: no boundary
        "iki mərhələli doğrulama",  # the term to use
        "Use `iki faktorlu doğrulama` in code",
        "```\nparol\n```",
        "    parol in an indented code block",
        "[Şifrəni dəyiş](../../account/parol-reset/)",  # a link target
        '<a title="parol" href="/x">şifrə</a>',  # HTML attributes
    ],
)
def test_what_is_not_a_hit(terms, text):
    assert found(terms, text) == []


def test_a_word_boundary_means_no_letter_or_digit_before(terms):
    assert found(terms, "(parol)") == [(1, "parol", "şifrə")]
    assert found(terms, "2parol") == []
    assert found(terms, "yeni-parol") == [(1, "parol", "şifrə")]


def test_a_quote_matches_anywhere_and_each_hit_has_its_line(terms):
    text = 'Birinci sətir.\n\nDüyməni "Daxil ol" basın, parolunuzu yazın.\n'
    assert found(terms, text) == [
        (3, '"', "«»"),
        (3, '"', "«»"),
        (3, "parol", "şifrə"),
    ]


def test_link_text_is_checked_and_its_target_is_not(terms):
    text = '[parol](../../account/parol/ "parol") and [şifrə](https://e.example/?parol=1)'
    assert found(terms, text) == [(1, "parol", "şifrə")]


def test_only_the_language_of_the_text_is_checked(terms):
    assert found(terms, "parol", lang="ru") == []
    assert found(terms, "Send an e-mail") == []
    assert found(terms, "Send an e-mail", lang="en") == [(1, "e-mail", "email")]


def test_title_and_summary_are_checked_and_say_so(terms):
    hits = terms.check("ru", title="Двухэтапная проверка", summary="x", body_md="y")
    assert [(hit.field, hit.found) for hit in hits] == [("title", "Двухэтапная проверка")]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("terms:\n  - concept: x\n    note: y\n", "terms[0]"),
        ("terms:\n  - concept: x\n    az: {use: a, avoid: b}\n", "terms[0].az.avoid"),
        ("terms:\n  - concept: x\n    az: {use: a, avod: [b]}\n", "terms[0].az.avod"),
        ("terms:\n  - concept: x\n    fr: {use: a}\n", "terms[0].fr"),
        ("terms:\n  - concept: x\n    az: {use: a, avoid: [A]}\n", "terms[0].az.avoid"),
        ("terms:\n  - {concept: x, en: {use: a}}\n  - {concept: X, en: {use: b}}\n", "terms[1]"),
        ("words: []\n", "words"),
    ],
)
def test_a_malformed_glossary_names_the_key(tmp_path, text, key):
    path = tmp_path / "glossary.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(glossary.GlossaryError) as error:
        glossary.load(path)
    assert error.value.key.startswith(key)
    assert str(path) in str(error.value)


def test_no_file_is_no_glossary(tmp_path):
    assert glossary.load(tmp_path / "glossary.yml") is None


def test_the_shipped_glossary_is_valid():
    shipped = glossary.load(CONTENT_DIR / "glossary.yml")
    assert shipped is not None and len(shipped) > 0


# --- content check ------------------------------------------------------------------------------


def write_articles(content_dir):
    content_dir.article(
        "account",
        "two-factor",
        langs=("az",),
        tags="[iki faktorlu doğrulama, parol]",
        body="Birinci abzas.\n\nHesabda iki faktorlu\ndoğrulamanı yandırın.\n\n`parol`\n",
    )
    content_dir.article("account", "clean", langs=("az",), body="Yeni şifrə yazın.")
    (content_dir.root / "glossary.yml").write_text(GLOSSARY, encoding="utf-8")


def test_check_warns_of_variants_and_only_strict_fails(runner, content_dir):
    write_articles(content_dir)
    lenient = runner.invoke(args=["content", "check", str(content_dir.root)])
    assert lenient.exit_code == 0, lenient.output
    path = content_dir.root / "account" / "two-factor" / "az.md"
    # Lines 2 and 3 are the front matter, the text starts on line 5: the variant is on 7.
    expected = f'{path}:7: glossary: "iki faktorlu doğrulama" — use "iki mərhələli doğrulama"'
    assert expected in lenient.output
    # Once: the tags and the code span hold variants too, and are not checked.
    assert lenient.output.count("glossary:") == 1
    assert "0 problem(s), 1 glossary warning(s)." in lenient.output
    strict = runner.invoke(args=["content", "check", "--strict", str(content_dir.root)])
    assert strict.exit_code == 1
    assert expected in strict.output


def test_check_finds_a_variant_in_the_title_on_its_line(runner, content_dir):
    content_dir.article("account", "login", langs=("az",), title='"Parolu unutmusunuz?"')
    (content_dir.root / "glossary.yml").write_text(GLOSSARY, encoding="utf-8")
    result = runner.invoke(args=["content", "check", str(content_dir.root)])
    path = content_dir.root / "account" / "login" / "az.md"
    assert f'{path}:2: glossary: "parol" — use "şifrə"' in result.output


def test_check_finds_a_variant_in_a_category_description(runner, content_dir):
    content_dir.category(
        "account",
        raw="order: 1\ntitle:\n  az: Hesab\n  ru: Аккаунт\n  en: Account\n"
        "description:\n  az: Şifrə və iki faktorlu doğrulama.\n  ru: Пароль.\n  en: Password.\n",
    )
    content_dir.article("account", "clean", langs=("az",), body="Yeni şifrə yazın.")
    (content_dir.root / "glossary.yml").write_text(GLOSSARY, encoding="utf-8")
    result = runner.invoke(args=["content", "check", "--strict", str(content_dir.root)])
    path = content_dir.root / "account" / "_category.yml"
    assert f'{path}:7: glossary: "iki faktorlu doğrulama"' in result.output
    assert result.exit_code == 1


def test_check_without_a_glossary_warns_of_nothing(runner, content_dir):
    write_articles(content_dir)
    (content_dir.root / "glossary.yml").unlink()
    result = runner.invoke(args=["content", "check", "--strict", str(content_dir.root)])
    assert "glossary:" not in result.output
    assert "0 glossary warning(s)" in result.output


def test_check_fails_on_a_malformed_glossary_naming_the_key(runner, content_dir):
    write_articles(content_dir)
    (content_dir.root / "glossary.yml").write_text(
        "terms:\n  - concept: password\n    az: {use: şifrə, avoid: parol}\n", encoding="utf-8"
    )
    result = runner.invoke(args=["content", "check", str(content_dir.root)])
    assert result.exit_code == 1
    assert "glossary.yml: terms[0].az.avoid: expected a list" in result.output


def test_the_glossary_at_the_root_is_not_a_category(runner, content_dir):
    write_articles(content_dir)
    content = read_content(content_dir.root)
    assert content.problems == []
    assert [c.slug for c in content.categories] == ["account"]
    loaded = runner.invoke(args=["content", "load", str(content_dir.root)])
    assert loaded.exit_code == 0, loaded.output
    assert "2 created" in loaded.output
    # Any other file there is still a mistake.
    (content_dir.root / "notes.txt").write_text("x", encoding="utf-8")
    stray = read_content(content_dir.root)
    assert [p.message for p in stray.problems] == [
        "unexpected file: only category folders belong here"
    ]
