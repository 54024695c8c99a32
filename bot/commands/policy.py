"""`aiom policy check FILE`: validate an operating-model policy file."""
from __future__ import annotations

from conversations.policy import check_policy_file


def add(sub) -> None:
    p = sub.add_parser("policy", help="operating-model policy files")
    psub = p.add_subparsers(dest="policy_command", required=True)
    chk = psub.add_parser("check", help="validate a policy file and list every problem with its location")
    chk.add_argument("file")
    chk.set_defaults(func=check)


def check(args) -> int:
    problems = check_policy_file(args.file)
    if not problems:
        print(f"{args.file}: OK")
        return 0
    print(f"{args.file}: {len(problems)} problem{'s' if len(problems) != 1 else ''}")
    for p in problems:
        print(f"  {p.location}: {p.message}")
    return 2
