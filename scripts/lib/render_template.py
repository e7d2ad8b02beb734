"""Renders a config template of scripts/lib/templates: every ${name} (or $name) in it is replaced by the value
given as name=value on the command line, and a placeholder without a value is an error (nothing is half-written).
`$$` stands for a literal `$`. Usage: python3 scripts/lib/render_template.py TEMPLATE [name=value ...] > FILE
"""

import string
import sys


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        sys.stderr.write("usage: render_template.py TEMPLATE [name=value ...]\n")
        return 2
    values = {}
    for arg in argv[2:]:
        name, sep, value = arg.partition("=")
        if not sep:
            sys.stderr.write(f"render_template.py: {arg!r} is not name=value\n")
            return 2
        values[name] = value
    with open(argv[1], encoding="utf-8") as template:
        text = template.read()
    try:
        sys.stdout.write(string.Template(text).substitute(values))
    except (KeyError, ValueError) as error:
        sys.stderr.write(f"render_template.py: {argv[1]}: no value for placeholder {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
