"""Glance < 20 has no policy defaults in code: writes the shipped policy.json's rules with a region's overrides
(its policy.yaml) on top, into that policy.yaml. Usage: glance_merge_policy.py POLICY_JSON POLICY_YAML"""

import json
import sys

import yaml

with open(sys.argv[1]) as shipped:
    rules = json.load(shipped)
with open(sys.argv[2]) as overrides:
    rules.update(yaml.safe_load(overrides) or {})
with open(sys.argv[2], "w") as merged:
    json.dump(rules, merged, indent=1)
