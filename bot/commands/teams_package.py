"""`aiom teams-package --app-id GUID [--out FILE]`: the Teams app package, ready to upload."""
from __future__ import annotations

from pathlib import Path

from bot.commands.common import fail


def add(sub) -> None:
    p = sub.add_parser("teams-package", help="write the Teams app package (a zip to upload to Teams)")
    p.add_argument("--app-id", required=True, help="the Azure bot's Microsoft App ID (a GUID)")
    p.add_argument("--out", default="aiom-teams.zip", help="where to write the zip (default: aiom-teams.zip)")
    p.add_argument("--domain", help="the host name aiom is reached at, e.g. aiom.example.com (validDomains)")
    p.add_argument("--developer-name", help="your organisation's name, shown in Teams (max 32 characters)")
    p.add_argument("--website-url", help="https:// page about aiom at your organisation")
    p.add_argument("--privacy-url", help="https:// privacy statement")
    p.add_argument("--terms-url", help="https:// terms of use")
    p.set_defaults(func=run)


def run(args) -> int:
    from bot.teams.package import PackageError, build

    try:
        data = build(args.app_id, domain=args.domain, developer_name=args.developer_name,
                     website_url=args.website_url, privacy_url=args.privacy_url, terms_url=args.terms_url)
    except PackageError as e:
        fail(f"aiom teams-package: {e}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"Wrote {out} (manifest 1.29, bot {args.app_id.lower()}). Upload it in Teams: Apps > Manage your apps > "
          "Upload an app (or ask your Teams admin to add it to your organisation's app catalogue).")
    return 0
