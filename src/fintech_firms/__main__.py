"""`python -m fintech_firms …` runs the `firms` command (for scripts that hold a Python path, not a PATH).

The console script `firms` calls `main` too: Ctrl-C while the modules load (a second or so) ends with
exit code 130 and no traceback, as it does later.
"""

import sys


def main() -> None:
    try:
        from .cli import run
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted\n")
        raise SystemExit(130) from None
    run()


if __name__ == "__main__":
    main()
