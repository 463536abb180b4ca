#!/usr/bin/env python3
"""Writes a valid synthetic catalog release with N indicators (for benchmarks), in the Standards/ format.
Usage: scripts/gen-catalog.py N OUT_FOLDER"""
import os, sys

n, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out, exist_ok=True)
rid = "bench@2099.1"
with open(os.path.join(out, "release.yaml"), "w") as f:
    f.write(f"""release: {rid}
id: bench
version: "2099.1"
title: Synthetic benchmark catalog
effective: "2099-01-01"
status: published
pathways: [rpt-standalone]
scoring_scales:
  - id: compliance
    title: Compliance
    values:
      - {{id: compliant, title: Compliant, meets: true}}
      - {{id: non-compliant, title: Non-compliant, meets: false}}
references:
  - id: cfr-10-35
    title: 10 CFR Part 35
    publisher: U.S. Nuclear Regulatory Commission
    year: 2024
    url: https://www.nrc.gov/reading-rm/doc-collections/cfr/part035/
""")
domains = ["D" + chr(65 + i // 26) + chr(65 + i % 26) for i in range(max(10, (n + 998) // 999))]
per_domain = (n + len(domains) - 1) // len(domains)
written = 0
for d, code in enumerate(domains):
    with open(os.path.join(out, f"{d + 1:02d}-{code.lower()}.yaml"), "w") as f:
        f.write(f"release: {rid}\ndomain:\n  code: {code}\n  title: Domain {code}\n  summary: Synthetic.\n  standards:\n")
        count = min(per_domain, n - written)
        standards = max(1, (count + 99) // 100)
        for s in range(standards):
            f.write(f"    - code: {code}.{s + 1}\n      title: Standard {s + 1}\n      summary: Synthetic.\n      indicators:\n")
            for i in range(s * 100, min(count, (s + 1) * 100)):
                rule = ("          applicability:\n            when: {any: [{field: inpatient_therapy, equals: true}, {field: agents, includes_any: [y90-microspheres]}]}\n"
                        "            reason: Inpatient or Y-90 therapy is declared.\n") if i % 5 == 0 else ""
                f.write(f"""        - code: {code}-{i + 1:03d}
          title: Indicator {code}-{i + 1:03d}
          requirement: >-
            The practice keeps a written, approved procedure for this synthetic requirement and follows it
            for every administration, with records that a surveyor can sample.
          guidance: Sample five records and compare them with the procedure.
          evidence:
            - kind: procedure
              description: The approved procedure
            - kind: record-sample
              description: Five recent records
          level: {1 if i % 3 else 2}
{rule}          scoring: compliance
          references:
            - ref: cfr-10-35
              locator: "10 CFR 35.{40 + i % 60}"
          thresholds:
            tolerance_percent: 20
""")
        written += count
print(f"wrote {written} indicators to {out}", file=sys.stderr)
