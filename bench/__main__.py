"""``python -m bench [w1|w2 [ROWS]|w3|w4|w6|all]``: run the benchmarks and print their ratios."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    which = argv[0] if argv else "all"
    if which in {"w2", "all"}:
        from bench import ingest_w2

        rows = int(argv[1]) if which == "w2" and len(argv) > 1 else 200_000
        ingest_w2.run(rows)
    if which in {"w3", "all"}:
        from bench import readiness_w3

        readiness_w3.run()
    if which in {"w4", "all"}:
        from bench import forms_w4

        forms_w4.run()
    if which in {"w1", "all"}:
        from bench import gate_w1

        gate_w1.run()
    if which in {"w6", "all"}:
        from bench import audit_w6

        audit_w6.run()
    if which not in {"w1", "w2", "w3", "w4", "w6", "all"}:
        print("usage: python -m bench [w1|w2 [ROWS]|w3|w4|w6|all]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
