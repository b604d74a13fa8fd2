"""Subscribers of several kinds on one event: each receives exactly its own selection.

Subscribers asking the same thing as the same kind of viewer share one execution and one frame
per event; sharing must never hand one kind's answer (its fields, its masking, its operation
id) to another, nor an event to a viewer who may not see it.
"""

from __future__ import annotations

import pytest

from hub.auth.actors import Role
from tests.cases.factories import REPORT, Actors, ok, report_noise
from tests.conftest import GraphQLClient
from tests.events.client import connect
from tests.events.conftest import LiveHub, top_event_id

pytestmark = pytest.mark.usefixtures("clean")

LUGU, GUANGWAI = "110107011", "110102020"  # street offices in Shijingshan and Xicheng
AT_LUGU = {"lat": 39.900, "lng": 116.235}
AT_GUANGWAI = {"lat": 39.8802, "lng": 116.3162}
CONTACT = "13812341234"

NUMBERS = "subscription($after: ID) { caseEvents(after: $after) { id case { number } } }"
CONTACTS = """subscription($after: ID, $jurisdiction: String) {
  caseEvents(after: $after, jurisdictionCode: $jurisdiction) {
    type case { number reporterContact } } }"""


async def test_each_kind_of_subscriber_receives_its_own_selection_of_one_event(
    live: LiveHub, http: GraphQLClient
) -> None:
    after = str(await top_event_id(live.settings, "case_event"))
    city, street = Actors(live.server).city, Actors.street(live.server, LUGU)
    district = live.token(Role.DISTRICT_PLATFORM, jurisdiction="110107", sub="platform-110107")
    elsewhere = Actors.street(live.server, GUANGWAI)
    async with (
        connect(live.url, city) as city_socket,
        connect(live.url, city) as city_again,
        connect(live.url, street) as street_socket,
        connect(live.url, district) as district_socket,
        connect(live.url, elsewhere) as elsewhere_socket,
    ):
        # given the city watching numbers on two sockets (the second under another operation
        # id), and contacts; Lugu, its district and Guangwai watching contacts
        numbers = await city_socket.subscribe(NUMBERS, after=after)
        await city_again.subscribe(NUMBERS, after=after)  # operation "1" here too
        numbers_again = await city_again.subscribe(NUMBERS, after=after)  # "2"
        city_contacts = await city_socket.subscribe(CONTACTS, after=after)
        street_contacts = await street_socket.subscribe(CONTACTS, after=after)
        district_contacts = await district_socket.subscribe(
            CONTACTS, after=after, jurisdiction="110107"
        )
        guangwai = await elsewhere_socket.subscribe(CONTACTS, after=after)
        # when Lugu takes a case with the caller's contact, then Guangwai one of its own
        lugu_case = await ok(
            http,
            REPORT,
            street,
            description="夜间施工噪音",
            categoryCode="NOISE",
            source="GRID_PATROL",
            location=AT_LUGU,
            reporterContact=CONTACT,
        )
        number = lugu_case["number"]
        guangwai_number = await report_noise(http, elsewhere, AT_GUANGWAI, "广外噪音")
        # then each subscriber receives the event in the shape it asked for
        [seen] = await numbers.events(1, "caseEvents")
        assert seen.keys() == {"id", "case"}
        assert seen["case"] == {"number": number}
        assert await numbers_again.events(1, "caseEvents") == [seen]
        assert numbers_again.id == "2"
        # and the contact as its viewer may see it: in full to the city, masked to the others
        full = {"type": "REPORTED", "case": {"number": number, "reporterContact": CONTACT}}
        masked = {"type": "REPORTED", "case": {"number": number, "reporterContact": "138****1234"}}
        assert await city_contacts.events(1, "caseEvents") == [full]
        assert await street_contacts.events(1, "caseEvents") == [masked]
        assert await district_contacts.events(1, "caseEvents") == [masked]
        # and Guangwai's office, which may not see Lugu's case, gets its own case first
        [own] = await guangwai.events(1, "caseEvents")
        assert own["case"]["number"] == guangwai_number
    assert live.feed.cases.sent["direct"] > 0
