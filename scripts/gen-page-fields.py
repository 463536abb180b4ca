#!/usr/bin/env python3
"""Writes Sources/Server/Web/Pages+Mustache.swift: for every view model struct in Pages.swift, the table of
key paths the templates read its fields through (PageModel). Run it after adding a field to a view model;
PageTemplateTests fails until the table matches the struct."""
import pathlib
import re

root = pathlib.Path(__file__).resolve().parent.parent
source = (root / "Sources/Server/Web/Pages.swift").read_text()
stack, fields, order = [], {}, []
for line in source.split("\n"):
    struct = re.match(r"^(\s*)struct (\w+)", line)
    if struct:
        indent = len(struct.group(1))
        while stack and stack[-1][1] >= indent:
            stack.pop()
        name = ".".join([s[0] for s in stack] + [struct.group(2)])
        stack.append((struct.group(2), indent))
        fields[name] = []
        order.append(name)
        continue
    stored = re.match(r"^(\s*)(?:var|let) (\w+)\s*[:=]", line)
    if stored and stack:
        indent = len(stored.group(1))
        while stack and stack[-1][1] >= indent:
            stack.pop()
        if stack and indent == stack[-1][1] + 4:
            fields[".".join(s[0] for s in stack)].append(stored.group(2))
    if re.match(r"^(enum|extension) ", line):
        stack = []

out = ["// Generated from Pages.swift by scripts/gen-page-fields.py (the stored properties of each view model);",
       "// PageTemplateTests checks it against the models, so a property added there without a line here fails a",
       "// test. Key paths are immutable, hence nonisolated(unsafe).", "", "import Mustache", ""]
for name in order:
    if not fields[name]:
        continue
    out += [f"extension {name}: PageModel {{",
            f"    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<{name}>] = ["]
    out += [f'        "{field}": \\{name}.{field},' for field in fields[name]]
    out += ["    ]", "}", ""]
(root / "Sources/Server/Web/Pages+Mustache.swift").write_text("\n".join(out))
