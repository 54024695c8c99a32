"""`aiom export --framework KEY [--use-case UC-4] --format csv|xlsx|json [--out FILE]`: the evidence export."""
from __future__ import annotations

import sys
from pathlib import Path

from bot.commands.common import fail


async def run_evidence(app, args) -> int:
    from conversations.regulation.evidence_export import write
    from vocabulary.labels import parse_uc_id
    from storage.migrate import upgrade

    policy = app.policy
    try:
        fw = policy.framework(args.framework)
    except KeyError:
        known = ", ".join(f.key for f in policy.frameworks) or "none"
        await app.db.dispose()
        fail(f"There is no framework {args.framework!r} in the policy (known: {known}).")
    uc_id = None
    if args.use_case:
        uc_id = parse_uc_id(args.use_case)
        if uc_id is None:
            await app.db.dispose()
            fail(f"{args.use_case!r} is not a use case reference; write it like UC-4.")
    now = app.clock()
    out_name = args.out or f"aiom-evidence-{fw.key}-{now:%Y-%m-%d}.{args.format}"
    if out_name == "-" and args.format == "xlsx":
        await app.db.dispose()
        fail("An XLSX workbook cannot go to standard output; give --out FILE.")
    try:
        await upgrade(app.db)
        if out_name == "-":
            n = await write(args.format, app.db, policy, fw, sys.stdout.buffer, now, use_case_id=uc_id)
            sys.stdout.buffer.flush()
        else:
            path = Path(out_name)
            tmp = path.with_name(path.name + ".part")
            with tmp.open("wb") as f:
                n = await write(args.format, app.db, policy, fw, f, now, use_case_id=uc_id)
            tmp.replace(path)
            print(f"Wrote the {fw.name} evidence of {n:,} use case{'s' if n != 1 else ''} to {path}",
                  file=sys.stderr)
    except OSError as e:
        fail(f"Could not write the export: {e}", status=1)
    finally:
        await app.db.dispose()
    return 0
