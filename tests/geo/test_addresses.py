"""Street offices named in free text (cases and hotline orders that arrive without a point)."""

from __future__ import annotations

import pytest

from hub.geo.index import AddressIndex, AddressNotLocatedError, _short
from hub.geo.reference import load_districts, load_streets


@pytest.fixture(scope="module")
def index() -> AddressIndex:
    streets = [(s.code, s.name) for s in load_streets()]
    return AddressIndex(streets, [(d.code, d.name) for d in load_districts()])


def _by_scanning(address: str) -> str | None:
    """The rule spelt out plainly: every street's full name, else its short form, in the text;
    the district a text names settles between streets; the longest name wins; a tie is none."""
    text = address.replace(" ", "")
    districts = {d.code: d.name for d in load_districts()}
    hits = [
        (len(s.name) if s.name in text else len(_short(s.name)), s.code)
        for s in load_streets()
        if s.name in text or _short(s.name) in text
    ]
    hint = next((name for name in districts.values() if name in text), None)
    if hint:
        hits = [hit for hit in hits if districts[hit[1][:6]] == hint] or hits
    if not hits:
        return None
    longest = max(length for length, _ in hits)
    best = {code for length, code in hits if length == longest}
    return best.pop() if len(best) == 1 else None


def _texts() -> list[str]:
    districts = {d.code: d.name for d in load_districts()}
    texts = []
    for street in load_streets():
        district = districts[street.district_code]
        texts += [
            f"{street.name}某小区3号楼",
            f"{district}{_short(street.name)}东路12号院",
            f"北京市{district}{street.name}",
        ]
    return texts


def test_every_street_office_is_found_as_the_plain_rule_says(index: AddressIndex) -> None:
    # given addresses naming each of the 349 street offices, in full, short, with its district
    for text in _texts():
        expected = _by_scanning(text)
        # when the index reads them, then it names the street office the plain rule names
        if expected is None:
            with pytest.raises(AddressNotLocatedError):
                index.match(text)
        else:
            assert index.match(text) == expected, text


def test_a_full_name_outranks_a_district_named_like_a_street(index: AddressIndex) -> None:
    # 海淀区清河街道 is 清河街道, not 海淀街道 (whose short form 海淀 the district name holds)
    assert index.match("海淀区清河街道毛纺路") == "110108017"


def test_an_address_naming_no_street_office_is_refused(index: AddressIndex) -> None:
    with pytest.raises(AddressNotLocatedError, match="no street office"):
        index.match("某小区3号楼")
