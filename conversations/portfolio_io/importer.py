"""`aiom import FILE.csv|.xlsx`: bring in the pilots already running, all or nothing.

Every row is checked first; a file with any problem is refused whole, each problem named (row, column,
what is wrong), and nothing is written. Rows whose reference is already in aiom are left alone, so running
the same file again creates nothing twice. The rest are created in one transaction: owners matched to people
by email (created, by email only, when unknown), stage and tier taken as given, each use case marked imported
and audited as "use_case.imported".
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from vocabulary.policy import Policy
from storage import audit
from storage.db import Database
from conversations.portfolio_io import reader
from conversations.portfolio_io.validate import ParsedRow, Problem, RowChecker, check_header
from storage.repo import people, use_cases
from storage.repo.portfolio_import import known_emails, known_refs

ACTOR = "aiom import"


@dataclass
class RowOutcome:
    row: int
    action: str  # create | exists | invalid
    text: str


@dataclass
class ImportReport:
    file: str
    dry_run: bool
    outcomes: list[RowOutcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    created: list[int] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.problems)

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    def lines(self) -> list[str]:
        out = [f"row {o.row}: {o.text}" for o in self.outcomes]
        header = [p for p in self.problems if p.row == 1]
        out[:0] = [f"header: {p.column}: {p.message}" for p in header]
        rows = len(self.outcomes)
        if self.refused:
            n = len(self.problems)
            out.append(f"Refused: {n} problem{'s' if n != 1 else ''} in {self.file}. Nothing was written; fix the "
                       "rows named above and run the import again.")
        elif self.dry_run:
            out.append(f"Dry run of {rows} row{'s' if rows != 1 else ''}: {self.count('create')} would be created, "
                       f"{self.count('exists')} already in aiom. Nothing was written.")
        else:
            out.append(f"Imported {len(self.created)} use case{'s' if len(self.created) != 1 else ''} from "
                       f"{self.file}; {self.count('exists')} row{'s were' if self.count('exists') != 1 else ' was'} "
                       "already in aiom and left as they are.")
        return out


def _describe(policy: Policy, p: ParsedRow, new_people: set[str]) -> str:
    f = p.fields
    stage = next((s.label for s in policy.stages if s.key == f["stage"]), f["stage"])
    owners = ", ".join(f"{role.replace('_', ' ')} {email}{' (new person)' if email in new_people else ''}"
                       for role, email in p.emails.items())
    how = "reference derived from title and business owner" if p.derived else "external_ref"
    return (f"“{f['title'][:80]}”: {stage.lower()}, {f['risk_tier']} risk, {f['status']}; {owners}; "
            f"{how} {p.ref}")


async def run_import(db: Database, policy: Policy, path: str | Path, *, dry_run: bool, now: datetime) -> ImportReport:
    name = Path(path).name
    report = ImportReport(file=name, dry_run=dry_run)
    header, rows = reader.read(path)
    report.problems.extend(check_header(header))
    if report.problems:
        return report
    checker = RowChecker(policy, header, now)
    parsed: list[ParsedRow] = []
    first_row_of: dict[str, int] = {}
    for n, values in rows:
        row, problems = checker.check(n, values)
        if row is not None and row.ref in first_row_of:
            problems = [Problem(n, "external_ref", f"the same use case as row {first_row_of[row.ref]} "
                                                   f"(reference {row.ref}); give each row its own external_ref")]
            row = None
        if row is None:
            report.problems.extend(problems)
            report.outcomes.append(RowOutcome(n, "invalid", "; ".join(f"{p.column}: {p.message}" for p in problems)))
            continue
        first_row_of[row.ref] = n
        parsed.append(row)
    async with (db.read() if dry_run else db.write()) as s:
        known = await known_refs(s, [p.ref for p in parsed], [p.fields["title"] for p in parsed])
        emails = sorted({e for p in parsed for e in p.emails.values()})
        new_people = set(emails) - await known_emails(s, emails)
        to_create = []
        for p in parsed:
            if p.ref in known:
                report.outcomes.append(RowOutcome(p.row, "exists", f"already in aiom as UC-{known[p.ref]} "
                                                                   f"(reference {p.ref}): nothing to do"))
            else:
                verb = "would create" if dry_run else "create"
                report.outcomes.append(RowOutcome(p.row, "create", f"{verb} {_describe(policy, p, new_people)}"))
                to_create.append(p)
        report.outcomes.sort(key=lambda o: o.row)
        if report.refused or dry_run:
            return report
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        for p in to_create:
            report.created.append(await _create(s, p, name, now))
        await audit.append(s, action="portfolio.imported", actor_label=ACTOR, platform="cli", entity="file",
                           entity_id=name[:100], at=now,
                           data={"file": name, "sha256": digest, "rows": len(report.outcomes),
                                 "created": report.created, "already_there": report.count("exists")})
    return report


async def _create(session, p: ParsedRow, file: str, now: datetime) -> int:
    ids = {}
    for role, email in p.emails.items():
        person = await people.by_email(session, email)
        if person is None:
            person = await people.create(session, email=email,
                                         display_name=email.split("@")[0].replace(".", " ").title())
        ids[role] = person.id
    uc = await use_cases.create(session, **p.fields, external_ref=p.ref, imported=True, updated_at=now,
                                business_owner_id=ids.get("business_owner"),
                                delivery_owner_id=ids.get("delivery_owner"),
                                sponsor_id=ids.get("sponsor"), proposer_id=ids.get("proposer"))
    facts = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in p.fields.items()}
    await audit.append(session, action="use_case.imported", actor_label=ACTOR, platform="cli", entity="use_case",
                       entity_id=uc.id, use_case_id=uc.id, at=now,
                       data={"file": file, "row": p.row, "external_ref": p.ref, **facts, "owners": p.emails})
    return uc.id
