"""Build src/iamd/data/service_namespaces.json (AWS service namespaces and their names)
and src/iamd/data/tracked_actions.json (the management actions of the services iamd
serves, whose last access the access advisor reports at ACTION_LEVEL).

Run by hand when the catalogue is refreshed (the package only reads the JSON it writes):

    python tools/service_namespaces.py PARLIAMENT_IAM_DEFINITION MAMIP_POLICIES_DIR src/iamd/data

* PARLIAMENT_IAM_DEFINITION: `parliament/iam_definition.json` from the parliament package
  (BSD-3, Duo Security): the Service Authorization Reference, one entry per service with its
  `prefix` (the namespace) and `service_name` (the name the access advisor shows).
* MAMIP_POLICIES_DIR: the AWS managed policy documents (`policies/<PolicyName>`, the MAMIP
  snapshot in ../shared/data/aws-managed-policies): every `namespace:` an Action or NotAction
  names there is a namespace too.
A namespace without a name from parliament takes botocore's `serviceFullName` (by signing
name or endpoint prefix), then NAMES below; one with none of them is left out.
Management actions: those of access level Write, Permissions management or Tagging
(AWS: "creation, deletion, and modification actions"), of TRACKED's services; an
operation of botocore's model that parliament does not know yet counts when its name
does not say it reads (READS).
"""

import json
import os
import re
import sys

import botocore.loaders

TRACKED = ("iam", "sts")
MANAGEMENT = ("Write", "Permissions management", "Tagging")
READS = ("Get", "List", "Simulate", "Decode")
NAMES = {"zocalo": "Amazon WorkDocs", "sumerian": "Amazon Sumerian", "iot1click": "AWS IoT 1-Click"}


def policy_namespaces(directory: str) -> set[str]:
    found = set()
    for name in os.listdir(directory):
        try:
            with open(os.path.join(directory, name)) as f:
                doc = json.load(f)["PolicyVersion"]["Document"]
        except (ValueError, KeyError):
            continue
        statements = doc.get("Statement", [])
        for s in statements if isinstance(statements, list) else [statements]:
            for key in ("Action", "NotAction"):
                actions = s.get(key, [])
                for a in actions if isinstance(actions, list) else [actions]:
                    prefix = a.split(":", 1)[0].lower() if ":" in a else ""
                    if re.fullmatch(r"[a-z0-9-]+", prefix):
                        found.add(prefix)
    return found


def write(path: str, value: dict) -> None:
    with open(path, "w") as f:
        json.dump(value, f, indent=0, separators=(",", ":"))
        f.write("\n")


def main(definition: str, policies: str, out_dir: str) -> None:
    names: dict[str, str] = {}
    tracked: dict[str, set] = {ns: set() for ns in TRACKED}
    known: dict[str, set] = {ns: set() for ns in TRACKED}
    with open(definition) as f:
        for entry in json.load(f):
            prefix, name = entry["prefix"], entry["service_name"]
            if prefix not in names or len(name) < len(names[prefix]):  # several entries: the base service
                names[prefix] = name
            if prefix in tracked:
                tracked[prefix] |= {p["privilege"] for p in entry["privileges"] if p["access_level"] in MANAGEMENT}
                known[prefix] |= {p["privilege"] for p in entry["privileges"]}
    botocore_names: dict[str, str] = {}
    loader = botocore.loaders.Loader()
    for service in loader.list_available_services("service-2"):
        meta = loader.load_service_model(service, "service-2")["metadata"]
        for key in (meta.get("signingName"), meta.get("endpointPrefix")):
            if key and meta.get("serviceFullName"):
                botocore_names.setdefault(key.lower(), meta["serviceFullName"])
    for ns in TRACKED:
        operations = loader.load_service_model(ns, "service-2")["operations"]
        tracked[ns] |= {op for op in operations if op not in known[ns] and not op.startswith(READS)}
    out = dict(names)
    for ns in policy_namespaces(policies) - set(names):
        name = botocore_names.get(ns) or NAMES.get(ns)
        if name:
            out[ns] = name
    write(os.path.join(out_dir, "service_namespaces.json"), dict(sorted(out.items())))
    write(os.path.join(out_dir, "tracked_actions.json"), {ns: sorted(a) for ns, a in tracked.items()})


if __name__ == "__main__":
    main(*sys.argv[1:4])
