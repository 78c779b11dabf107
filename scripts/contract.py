"""Checks every response the tests recorded (CONTRACT_LOG) against openapi.yaml: the status is documented
for that operation, and the body validates against its schema. Exits 1 on any disagreement."""
import glob
import json
import re
import sys

import yaml
from jsonschema import Draft202012Validator


def resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node and len(node) == 1:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def template_of(spec, path):
    """The document's path for a concrete one: itself, or the template whose `{parameters}` it fills."""
    if path in spec["paths"]:
        return path
    for template in spec["paths"]:
        pattern = "/".join("[^/]+" if part.startswith("{") else re.escape(part) for part in template.split("/"))
        if re.fullmatch(pattern, path):
            return template
    return path


def main(spec_path, folder):
    spec = yaml.safe_load(open(spec_path))
    checked, problems, seen = 0, [], set()
    for file in sorted(glob.glob(f"{folder}/responses-*.jsonl")):
        for line in open(file):
            r = json.loads(line)
            path = template_of(spec, r["path"])
            operation = spec["paths"].get(path, {}).get(r["method"].lower())
            where = f'{r["method"]} {path} {r["status"]}'
            if operation is None:
                problems.append(f"{where}: the operation is not in the document")
                continue
            response = resolve(spec, operation["responses"].get(str(r["status"])))
            if response is None:
                problems.append(f"{where}: the status is not documented")
                continue
            seen.add(where)
            # The one content type each response has: JSON, or Mage's JSON:API.
            schema = next(iter(response.get("content", {}).values()), {}).get("schema")
            if schema is None:
                continue
            body = json.loads(r["body"])
            validator = Draft202012Validator({**schema, "components": spec["components"]})
            for error in validator.iter_errors(body):
                problems.append(f"{where}: {error.json_path}: {error.message[:200]}")
            checked += 1
    events, event_problems, names = check_events(folder)
    problems += event_problems
    for problem in problems[:50]:
        print("CONTRACT:", problem)
    print(f"contract: {checked} responses checked against {spec_path} ({len(seen)} operation and status pairs), "
          f"{len(problems)} disagreements")
    print(f"contract: {events} events checked against docs/event-catalogue.json ({len(names)} of its events seen)")
    if checked == 0 or problems:
        sys.exit(1)


def check_events(folder):
    """Every event the tests saw on the bus (events-*.jsonl), against its schema in the catalogue."""
    catalogue = json.load(open("docs/event-catalogue.json"))
    checked, problems, names = 0, [], set()
    for file in sorted(glob.glob(f"{folder}/events-*.jsonl")):
        for line in open(file):
            event = json.loads(line)
            schema = catalogue["events"].get(event.get("name"))
            if schema is None:
                problems.append(f"event {event.get('name')}: not in the catalogue")
                continue
            names.add(event["name"])
            validator = Draft202012Validator({**schema, "$defs": catalogue["$defs"]})
            for error in validator.iter_errors(event):
                problems.append(f"event {event['name']}: {error.json_path}: {error.message[:200]}")
            checked += 1
    return checked, problems, names


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
