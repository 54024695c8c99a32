"""One module per `aiom` sub-command: each has `add(subparsers)` and sets `func` on its parser."""
