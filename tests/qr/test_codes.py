"""Signpost codes: short, unambiguous, signed; counterfeits are detected."""

import pytest

from qr import codes
from qr.errors import CounterfeitCode, MalformedCode


def test_a_new_code_is_ten_unambiguous_characters_and_verifies():
    seen = set()
    for _ in range(200):
        code = codes.new_code()
        assert len(code) == 10 <= 10
        assert not set(code) & set("ILOU")
        assert codes.verify(code) == code
        seen.add(code)
    assert len(seen) == 200


def test_misreadings_and_case_are_forgiven():
    code = codes.new_code()
    sloppy = code.lower().replace("0", "o").replace("1", "l")
    assert codes.verify(sloppy[:5] + "-" + sloppy[5:]) == code


def test_a_changed_character_is_a_counterfeit():
    code = codes.new_code()
    last = codes.ALPHABET[(codes.ALPHABET.index(code[-1]) + 1) % 32]
    with pytest.raises(CounterfeitCode):
        codes.verify(code[:-1] + last)
    with pytest.raises(CounterfeitCode):
        codes.verify("ABCDE" + code[5:])


@pytest.mark.parametrize("text", ["", "ABC", "ABCDEFGHJKM", "ABCDE!2345", "ÄBCDE12345"])
def test_malformed_codes(text):
    with pytest.raises(MalformedCode):
        codes.verify(text)
