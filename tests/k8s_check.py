#!/usr/bin/python3
"""Kubernetes manifests checked offline against the object schema of
Debian's python3-kubernetes (its generated models, e.g. V1Job).

The models alone catch little: deserializing into V1Job drops a field it
does not know (a misspelled `completionMod` vanishes), turns "4" into 4
where an int is due, and only raises for a value int() cannot take or a
required field that is missing (a container without a name). So each
document is walked against the models' own schema: every key must be in
the model's attribute_map (else: unknown field, with the nearest name),
every value of the model's type in openapi_types (str, int, bool, list,
map, or a nested model); then the document is deserialized, so that the
models' own validation runs too. What it does not know: the API server's
semantic rules (a label's syntax, a Quantity's form, a fieldPath that the
downward API serves), which only a cluster checks.

usage: k8s_check.py FILE.yaml...
One line per problem on stdout and exit 1; exit 0 when every document is
well-formed."""
import difflib
import sys

import kubernetes
import yaml
from kubernetes import client

PRIMITIVES = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "date": (str,),
    "datetime": (str,),
}


def type_name(v):
    return {dict: "a map", list: "a list", str: "a string", bool: "a bool", int: "an int",
            float: "a number"}.get(type(v), type(v).__name__)


def walk(value, typ, path, errors):
    """Appends to errors each place where value is not of the model type typ."""
    if value is None or typ == "object":
        return
    if typ.startswith("list["):
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, got {type_name(value)}")
            return
        for i, item in enumerate(value):
            walk(item, typ[5:-1], f"{path}[{i}]", errors)
        return
    if typ.startswith("dict("):
        inner = typ[typ.index(",") + 1:-1].strip()
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a map, got {type_name(value)}")
            return
        for k, v in value.items():
            walk(v, inner, f"{path}[{k!r}]", errors)
        return
    if typ in PRIMITIVES:
        ok = isinstance(value, PRIMITIVES[typ]) and (typ == "bool" or not isinstance(value, bool))
        if not ok:
            errors.append(f"{path}: expected {typ}, got {type_name(value)} {value!r}")
        return
    model = getattr(client, typ)
    if not isinstance(value, dict):
        errors.append(f"{path}: expected a {typ} (a map), got {type_name(value)}")
        return
    fields = {json_name: attr for attr, json_name in model.attribute_map.items()}
    for key, v in value.items():
        where = f"{path}.{key}" if path else str(key)
        if key not in fields:
            near = difflib.get_close_matches(str(key), fields, n=1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            errors.append(f"{where}: unknown field of {typ}{hint}")
            continue
        walk(v, model.openapi_types[fields[key]], where, errors)


def model_of(doc):
    """The model class name of a document (apiVersion batch/v1, kind Job: V1Job)."""
    version = str(doc.get("apiVersion", "")).split("/")[-1]
    name = version[:1].upper() + version[1:] + str(doc.get("kind", ""))
    return name if hasattr(client, name) and hasattr(getattr(client, name), "openapi_types") else None


def check(doc):
    if not isinstance(doc, dict):
        return [f"not an object: {type_name(doc)}"]
    name = model_of(doc)
    if not name:
        return [f"unknown apiVersion/kind: {doc.get('apiVersion')}/{doc.get('kind')}"]
    errors = []
    walk(doc, name, "", errors)
    if not errors:
        try:
            client.ApiClient()._ApiClient__deserialize(doc, name)
        except (ValueError, TypeError) as e:
            errors.append(f"{name}: {e}")
    return errors


def main(paths):
    bad = 0
    count = 0
    for path in paths:
        try:
            with open(path) as f:
                docs = [d for d in yaml.safe_load_all(f) if d is not None]
        except (OSError, yaml.YAMLError) as e:
            print(f"{path}: " + " ".join(str(e).split()))
            bad += 1
            continue
        for doc in docs:
            count += 1
            label = f"{doc.get('kind')} {doc.get('metadata', {}).get('name')}" if isinstance(doc, dict) else "?"
            for e in check(doc):
                print(f"{path}: {label}: {e}")
                bad += 1
    if bad:
        return 1
    print(f"k8s_check: {count} objects well-formed (python3-kubernetes {kubernetes.__version__} models)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[-3], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
