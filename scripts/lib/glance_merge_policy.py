import json, sys, yaml
rules = json.load(open(sys.argv[1]))
rules.update(yaml.safe_load(open(sys.argv[2])) or {})
json.dump(rules, open(sys.argv[2], 'w'), indent=1)
