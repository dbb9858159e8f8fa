"""Names for a bank transfer file, turned into the character set banks accept.

In the names of a 全銀 file banks take only digits, upper-case ASCII letters,
half-width katakana ｱ to ﾝ, the separate voiced marks ﾞ ﾟ, the space and the
symbols ( ) - . / (the character set of 全銀協 for account names). The
conversion does what banks do with an account name (口座名義):

- hiragana and katakana become half-width katakana; a voiced kana splits into its
  base and a separate mark (ガ → ｶﾞ, パ → ﾊﾟ, ヴ → ｳﾞ);
- small kana become large (ッ → ﾂ, ャ → ﾔ): names are registered that way, and
  banks refuse ｯ ｬ;
- the long vowel ー becomes the hyphen "-": ｰ is not in the bank character set;
- the old kana ヰ ヱ ヲ become ｲ ｴ ｵ (ｦ is not in the set either), and 中黒 ・ becomes ".";
- full-width letters and digits become ASCII, and lower case becomes upper case.

Anything else (kanji such as 株式会社, ・ variants, emoji, accented letters) is
refused: the caller must give the reading in kana, with the bank abbreviations
(ｶ) for 株式会社, ﾕ) for 有限会社).
"""

from __future__ import annotations

import unicodedata

# The bank character set: ASCII digits, capitals, space, ( ) - . /, then ｱ..ﾝ ﾞ ﾟ.
ALLOWED = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ ()-./") | frozenset(
    map(chr, range(0xFF71, 0xFFA0))
)

# Applied after NFKC, which has already turned half-width kana and marks to full width.
_FOLD = str.maketrans(
    "ァィゥェォッャュョヮヵヶヰヱヲーｰ‐‑−–—―・",
    "アイウエオツヤユヨワカケイエオ--------.",
)
# Stand-alone voiced marks: NFKC would turn ゛ into a space and a combining mark.
_MARKS = str.maketrans("゛゜", "\uff9e\uff9f")

# Full-width katakana (and the combining voiced marks) to their half-width form.
_TO_HALF = {unicodedata.normalize("NFKC", chr(c)): chr(c) for c in range(0xFF66, 0xFFA0)}

_HIRAGANA = range(ord("ぁ"), ord("ゖ") + 1)
_HIRAGANA_TO_KATAKANA = ord("ア") - ord("あ")


class NotKana(ValueError):
    """A character has no spelling in the bank character set."""

    def __init__(self, character: str) -> None:
        self.character = character
        super().__init__(
            f"{character!r} (U+{ord(character):04X}) cannot be written in half-width katakana; "
            "give the name in kana"
        )


def to_bank_kana(text: str) -> str:
    """``text`` in the bank character set; raises :class:`NotKana` on the first stray."""
    folded = unicodedata.normalize("NFKC", text.translate(_MARKS))
    return "".join(map(_convert, folded))


def _convert(character: str) -> str:
    if ord(character) in _HIRAGANA:
        character = chr(ord(character) + _HIRAGANA_TO_KATAKANA)
    character = character.translate(_FOLD)
    converted = "".join(map(_half_width, unicodedata.normalize("NFD", character)))
    if not set(converted) <= ALLOWED:
        raise NotKana(character)
    return converted


def _half_width(part: str) -> str:
    if part.isascii():
        return part.upper()
    return _TO_HALF.get(part, part)
