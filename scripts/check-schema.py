#!/usr/bin/env python3
"""Checks the catalog under Standards/ (and the example scopes in docs/examples/) against
Standards/catalog.schema.json, on apex's own reading of the files.

The YAML is read once, by apex (`apex standards export-json`): numbers only in plain decimal notation,
no duplicate keys, no YAML 1.1 typing. A second parser here (PyYAML reads `010` as 8 where apex read 10,
and keeps the last of two duplicate keys) would check values apex never uses. So this script validates
the JSON apex prints, and reports each schema problem as file:line:column with the JSON path.

Usage: scripts/check-schema.py [RELEASES-FOLDER [SCOPE-FILE...]]   (default: Standards and
docs/examples/scope-*.yaml). Run by scripts/test after `swift test`, which has built apex; set APEX_BIN
to use another apex binary. Exits non-zero when apex refuses a file or the schema does."""
import glob, json, os, subprocess, sys

try:
    import jsonschema
except ImportError:
    sys.exit("check-schema: needs the Python package jsonschema (pip install jsonschema)")

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def apex_binary():
    if os.environ.get("APEX_BIN"):
        return os.environ["APEX_BIN"]
    found = subprocess.run(["swift", "build", "--show-bin-path"], capture_output=True, text=True)
    if found.returncode != 0:
        sys.exit("check-schema: `swift build --show-bin-path` failed:\n" + found.stderr)
    return os.path.join(found.stdout.strip(), "apex")


folder = sys.argv[1] if len(sys.argv) > 1 else "Standards"
scopes = sys.argv[2:] if len(sys.argv) > 2 else sorted(glob.glob("docs/examples/scope-*.yaml"))
apex = apex_binary()
if not os.access(apex, os.X_OK):
    sys.exit(f"check-schema: {apex} is missing; build apex first (swift build)")

command = [apex, "standards", "export-json", folder] + [arg for scope in scopes for arg in ("--scope", scope)]
run = subprocess.run(command, capture_output=True, text=True)
if run.returncode != 0:
    sys.stderr.write(run.stderr)  # apex's own file:line:column: message lines
    sys.exit(f"check-schema: apex refused the files (exit {run.returncode}); nothing was checked against the schema")
export = json.loads(run.stdout)

schema = json.load(open("Standards/catalog.schema.json", encoding="utf-8"))
jsonschema.Draft202012Validator.check_schema(schema)
# Each file against the part of the schema for its kind: precise messages instead of "not valid under oneOf".
definitions = {"release": "releaseFile", "domain": "domainFile", "scope": "scope"}
validators = {
    kind: jsonschema.Draft202012Validator(
        {**{key: value for key, value in schema.items() if key != "oneOf"}, "$ref": f"#/$defs/{name}"},
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    for kind, name in definitions.items()
}


def position(file, path):
    """line:column of the deepest value on `path` that apex located (a missing key: its mapping)."""
    pointer, found = "", file["locations"].get("", "1:1")
    for part in path:
        pointer += "/" + str(part).replace("~", "~0").replace("/", "~1")
        if pointer not in file["locations"]:
            break
        found = file["locations"][pointer]
    return found


files = [file for release in export["releases"] for file in release["files"]] + export["scopes"]
if not export["releases"]:
    sys.exit(f"check-schema: no catalog release found under {folder}")
problems = 0
for file in files:
    for error in sorted(validators[file["kind"]].iter_errors(file["content"]), key=lambda e: list(map(str, e.absolute_path))):
        # For oneOf/anyOf, the closest branch says what is wrong.
        error = jsonschema.exceptions.best_match([error])
        problems += 1
        path = "/".join(map(str, error.absolute_path)) or "(the file)"
        name = os.path.relpath(file["file"])
        name = file["file"] if name.startswith("..") else name
        print(f"{name}:{position(file, error.absolute_path)}: {path}: {error.message}")
indicators = sum(release["indicators"] for release in export["releases"])
print(f"check-schema: {len(files)} file(s) as apex read them ({indicators} indicators), {problems} problem(s)")
sys.exit(1 if problems else 0)
