"""Teams users as aiom people: the same person everywhere when the verified email matches, guests kept apart,
the home tenant, a personal install, and a file given through Teams' file-consent flow."""
from __future__ import annotations

import csv
import io

from sqlalchemy import select

from storage.repo import conversation_refs, people
from storage.tables import PlatformIdentity, UseCase
from tests.support.harness import Harness, RecordingDeliverer
from tests.support.teams_activities import (
    OTHER_TENANT,
    TENANT,
    TeamsAiom,
    channel,
    file_consent,
    installation,
    personal,
    teams,  # noqa: F401,F811 (fixture)
    user,
)
from tests.test_intake import propose


async def test_one_use_case_seen_identically_from_the_console_and_teams(teams: TeamsAiom):
    """Zoe proposes in another chat (the console) and asks for its status in Teams: same record, same person."""
    console = Harness(teams.app, RecordingDeliverer()).person("zoe@example.com")
    await propose(console)
    await console.click("That tier is right")
    assert "UC-1 submitted" in (await console.click("Submit the idea")).text
    on_console = await console.say("status UC-1")
    assert "Claims triage assistant" in on_console.text

    zoe = teams.chat(user("Zoe Proposer", "zoe@example.com"))
    r = await zoe.say("status UC-1")
    assert r.status == 200
    assert "UC-1" in r.text and "Claims triage assistant" in r.text
    assert "could not find" not in r.text.lower()
    async with teams.app.db.read() as s:
        assert len((await s.execute(select(UseCase))).scalars().all()) == 1
        zoe_person = await people.by_email(s, "zoe@example.com")
        idents = (await s.execute(select(PlatformIdentity).where(PlatformIdentity.person_id == zoe_person.id)))
        assert sorted(i.platform for i in idents.scalars()) == ["console", "teams"]


async def test_guests_from_another_tenant_are_kept_apart(teams: TeamsAiom):
    home = teams.chat(user("Zoe", "zoe@example.com"))
    await home.say("hello")  # the first tenant seen becomes home
    guest_user = user("Zoe Elsewhere", "zoe@example.com", tenant=OTHER_TENANT)
    guest = teams.chat(guest_user, conversation=channel("19:shared@thread.tacv2", tenant=OTHER_TENANT))
    r = await guest.say("hello", mention_bot=True)
    assert r.status == 200
    b2b = teams.chat(user("Gus Guest", "gus@partner.example", role="guest"))
    await b2b.say("hello")
    async with teams.app.db.read() as s:
        assert (await conversation_refs.get(s, "teams", "@home")).tenant == TENANT
        zoe = await people.by_email(s, "zoe@example.com")
        g = await people.identity(s, "teams", OTHER_TENANT, guest_user.aad)
        assert g.person_id != zoe.id  # same email, other tenant: not linked to Zoe
        gus = await people.identity(s, "teams", TENANT, b2b.user.aad)
        assert (await people.get(s, gus.person_id)).email is None  # a guest's email is not trusted for linking


async def test_a_personal_install_greets_and_makes_the_person_reachable(teams: TeamsAiom):
    amy = user("Amy", "amy@example.com")
    teams.fake.add_member(amy.user_id, name=amy.name, aad=amy.aad, email=amy.email, tenant=amy.tenant)
    r = await teams.post(installation(amy, service_url=teams.service_url))
    assert r.status == 200 and "Hello Amy" in r.text
    async with teams.app.db.read() as s:
        person = await people.by_email(s, "amy@example.com")
        ref = await conversation_refs.personal_for(s, "teams", person.id)
        assert ref is not None and ref.conversation_id == personal(amy)["id"]
    again = await teams.post(installation(amy, service_url=teams.service_url))
    assert again.status == 200 and not again.sent  # greeted once


async def test_export_file_through_file_consent(teams: TeamsAiom):
    lena = teams.chat(user("Lena Lead", "lena.lead@example.com"))
    r = await lena.say("export csv")
    consent = [s for s in r.sent if s.activity["attachments"][0]["contentType"]
               == "application/vnd.microsoft.teams.card.file.consent"]
    assert len(consent) == 1
    att = consent[0].activity["attachments"][0]
    assert att["name"].endswith(".csv") and att["content"]["sizeInBytes"] > 0
    upload = f"{teams.service_url}upload/portfolio.csv"
    r = await teams.post(file_consent(lena.user, context=att["content"]["acceptContext"], upload_url=upload,
                                      reply_to=consent[0].id, service_url=teams.service_url, name="portfolio.csv"))
    assert r.status == 200
    data = teams.fake.uploads["portfolio.csv"]
    assert len(data) == att["content"]["sizeInBytes"]
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header and "stage" in [h.lower() for h in header]
    info = [s for s in r.sent if s.activity["attachments"][0]["contentType"]
            == "application/vnd.microsoft.teams.card.file.info"]
    assert len(info) == 1 and info[0].activity["attachments"][0]["contentUrl"].endswith("portfolio.csv")
    assert [u.activity_id for u in r.updates] == [consent[0].id] and "Saved portfolio.csv" in r.updates[0].text
    # the same consent again: the bytes are gone, nothing is uploaded twice
    teams.fake.uploads.clear()
    r = await teams.post(file_consent(lena.user, context=att["content"]["acceptContext"], upload_url=upload,
                                      reply_to=consent[0].id, service_url=teams.service_url, name="portfolio.csv"))
    assert teams.fake.uploads == {} and "no longer available" in r.text


async def test_export_declined_and_refused_in_a_channel(teams: TeamsAiom):
    lena = teams.chat(user("Lena Lead", "lena.lead@example.com"))
    r = await lena.say("export json")
    consent = r.sent[0]
    att = consent.activity["attachments"][0]
    r = await teams.post(file_consent(lena.user, context=att["content"]["declineContext"], action="decline",
                                      upload_url="", reply_to=consent.id, service_url=teams.service_url))
    assert "declined" in r.updates[0].text and teams.fake.uploads == {}

    in_channel = teams.chat(lena.user, conversation=channel("19:leadership@thread.tacv2", root="77"))
    r = await in_channel.say("export csv", mention_bot=True)
    # Teams has no ephemeral messages: the refusal goes to Lena's 1:1 chat, not to the channel
    assert [s.conversation_id for s in r.sent] == [f"a:dm-{lena.user.user_id}"]
    assert "private chat only" in r.sent[0].text
    assert TENANT in str(teams.fake.created[-1])
