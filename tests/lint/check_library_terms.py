#!/usr/bin/env python3
"""The library speaks in its own terms: no string in the library's sources
(src/ outside src/tool/) names a command-line option ("--force", "-S") or
tells the user to run sudo. What would lift a refusal is an mpf_reason;
src/tool/ turns it into advice naming its options.
Usage: check_library_terms.py SRC_DIR"""
import pathlib
import re
import sys

OPTION = re.compile(r"""(^|[\s(/'`])(--[a-z][a-z-]+|-[a-zA-Z])(?=$|[\s),:=/'`])""")
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')

src = pathlib.Path(sys.argv[1])
found = []
for path in sorted(src.rglob("*.[ch]")):
    if path.relative_to(src).parts[0] == "tool":
        continue
    for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if line.lstrip().startswith(("/*", "*", "//", "#include")):
            continue
        for text in LITERAL.findall(line):
            if OPTION.search(text) or "sudo " in text:
                found.append("%s:%d: %s" % (path.relative_to(src.parent), n, text))
if found:
    print("library messages that name command-line options (give the error an mpf_reason and "
          "let src/tool/ say it):")
    print("\n".join(found))
    sys.exit(1)
print("library messages: no command-line options named")
