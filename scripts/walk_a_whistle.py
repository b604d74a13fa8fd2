"""Walk one whistle through its life on a running hub: blow → review → acknowledge → report in →
complete → resolve, printing each step's status.

Run against `make demo` (same environment, so the tokens it mints are accepted):
    .venv/bin/python scripts/walk_a_whistle.py [--url http://127.0.0.1:8000/graphql]

Guangwai street office (Xicheng) reports a building on the Xicheng/Fengtai line and whistles
Fengtai's urban management: a department outside the caller's district makes the whistle
CROSS_DISTRICT, so Xicheng's district platform reviews it before anyone is summoned.
"""

from __future__ import annotations

import argparse
from typing import Any

import httpx

from hub.auth.actors import Role
from hub.auth.tokens import mint
from hub.config import get_settings

GUANGWAI, FENGTAI_TEAM = "110102020", "110106.URBAN_MANAGEMENT"
ON_SITE = {"lat": 39.8802, "lng": 116.3162}
WHISTLE = "whistle { number scope status summons { id status department { code } } }"
STEPS = {
    "reportCase": "ReportCaseInput",
    "blowWhistle": "BlowWhistleInput",
    "reviewWhistle": "ReviewWhistleInput",
    "acknowledgeSummons": "AcknowledgeSummonsInput",
    "reportIn": "ReportInInput",
    "completeSummons": "CompleteSummonsInput",
    "resolveWhistle": "ResolveWhistleInput",
}


def run(client: httpx.Client, url: str, token: str, name: str, **input: Any) -> dict[str, Any]:
    """One mutation; stop at the first refusal, printing its code."""
    result = "case { number status }" if name == "reportCase" else WHISTLE
    query = (
        f"mutation($input: {STEPS[name]}!) {{ {name}(input: $input) "
        f"{{ {result} errors {{ code message }} }} }}"
    )
    response = client.post(
        url,
        json={"query": query, "variables": {"input": input}},
        headers={"Authorization": f"Bearer {token}"},
    )
    payload: dict[str, Any] = response.json()["data"][name]
    if payload["errors"]:
        raise SystemExit(f"{name} refused: {payload['errors']}")
    return payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    url = parser.parse_args().url
    settings = get_settings()
    street = mint(settings, role=Role.STREET_OFFICE, jurisdiction=GUANGWAI)
    xicheng = mint(settings, role=Role.DISTRICT_PLATFORM, jurisdiction="110102")
    fengtai = mint(settings, role=Role.DEPARTMENT, jurisdiction="110106", department=FENGTAI_TEAM)
    with httpx.Client(timeout=30) as client:
        case = run(
            client,
            url,
            street,
            "reportCase",
            description="西城、丰台交界处二层违建",
            categoryCode="ILLEGAL_CONSTRUCTION",
            source="STREET_CHIEF",
            location=ON_SITE,
        )["case"]
        print("reported", case["number"], case["status"])
        whistle = run(
            client,
            url,
            street,
            "blowWhistle",
            callerCode=GUANGWAI,
            kind="KEY_TASK",
            caseNumbers=[case["number"]],
            departmentCodes=[FENGTAI_TEAM],
            reason="交界违建，两区联合拆除",
        )["whistle"]
        number, summons = whistle["number"], whistle["summons"][0]["id"]
        print("blown", number, whistle["scope"], whistle["status"])
        steps: list[tuple[str, str, dict[str, Any]]] = [
            (xicheng, "reviewWhistle", {"whistleNumber": number, "approve": True}),
            (fengtai, "acknowledgeSummons", {"summonsId": summons}),
            (fengtai, "reportIn", {"summonsId": summons, "location": ON_SITE, "note": "已到达"}),
            (fengtai, "completeSummons", {"summonsId": summons, "note": "已拆除"}),
            (street, "resolveWhistle", {"whistleNumber": number, "note": "违建已拆除"}),
        ]
        for token, name, step in steps:
            whistle = run(client, url, token, name, **step)["whistle"]
            print(f"{name}: whistle {whistle['status']}, summons {whistle['summons'][0]['status']}")


if __name__ == "__main__":
    main()
