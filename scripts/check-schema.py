#!/usr/bin/env python3
"""Checks every catalog file under Standards/ against Standards/catalog.schema.json, so the published
schema and the Swift validator (which implements the same rules with file:line:column messages) cannot
drift apart unnoticed. Run by scripts/test."""
import glob, json, os, sys

try:
    import jsonschema, yaml
except ImportError:
    sys.exit("check-schema: needs the Python packages jsonschema and PyYAML (pip install jsonschema pyyaml)")

root = os.path.join(os.path.dirname(__file__), "..", "Standards")
schema = json.load(open(os.path.join(root, "catalog.schema.json")))
validator = jsonschema.Draft202012Validator(schema)
files = sorted(glob.glob(os.path.join(root, "*", "*", "*.yaml")))
if not files:
    sys.exit("check-schema: no catalog files found under Standards/")
problems = 0
for path in files:
    for error in validator.iter_errors(yaml.safe_load(open(path, encoding="utf-8"))):
        problems += 1
        print(f"{os.path.relpath(path)}: {'/'.join(map(str, error.absolute_path))}: {error.message}")
print(f"check-schema: {len(files)} file(s), {problems} problem(s)")
sys.exit(1 if problems else 0)
