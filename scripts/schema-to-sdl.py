"""Convert Shopify's published Admin API introspection JSON into the SDL vendored under schema/.

Run once when the pinned Admin API version changes:
  npm pack @shopify/dev-mcp@1.16.0
  tar xzf shopify-dev-mcp-1.16.0.tgz package/dist/data/admin_2026-10.json.gz
  python3 scripts/schema-to-sdl.py package/dist/data/admin_2026-10.json.gz vendor/shopify/admin-2026-10.graphql
Needs graphql-core (pip install graphql-core).
"""
import gzip
import json
import sys

from graphql import build_client_schema, print_schema


def main(source: str, target: str) -> None:
    with gzip.open(source, "rt", encoding="utf-8") as f:
        introspection = json.load(f)
    if "data" in introspection:
        introspection = introspection["data"]
    sdl = print_schema(build_client_schema(introspection))
    # print_schema leaves out the built-in @oneOf directive that Shopify's input types use.
    if "directive @oneOf" not in sdl:
        sdl = "directive @oneOf on INPUT_OBJECT\n\n" + sdl
    with open(target, "w", encoding="utf-8") as f:
        f.write(sdl)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
