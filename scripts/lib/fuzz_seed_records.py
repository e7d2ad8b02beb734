"""Seeds the `dump-record` fuzz corpus: every image of the captured Glance listings as a dump `<id>.json` holds
it, one file each. Usage: fuzz_seed_records.py CORPUS_DIR (run from the repository's root)."""

import glob
import json
import sys

for n, path in enumerate(sorted(glob.glob("Tests/CatalogDiffTests/Fixtures/region-*-images*.json"))):
    with open(path) as listing:
        images = json.load(listing)["images"]
    for m, image in enumerate(images):
        with open(f"{sys.argv[1]}/record-{n}-{m}.json", "w") as record:
            record.write(json.dumps(image))
