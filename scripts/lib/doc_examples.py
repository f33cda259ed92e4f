"""Lists the public items of a crate whose documentation has no example.

Reads the crate's rustdoc JSON (`cargo rustdoc -- -Z unstable-options --output-format json`) and
walks what a user of the crate can name: the root module, its public modules and re-exports, every
function, type, trait, constant and type alias in them, and the methods and associated constants
of each type's inherent impls and each trait. An item passes when its doc comment holds a fenced
code block. Enum variants and struct fields are covered by their type's example. Modules given
with --skip (e.g. `ffi`, the C ABI, whose examples are C in the header) are not walked.

    python3 scripts/lib/doc_examples.py target/doc/tpauth.json --skip ffi

Prints one line per item without an example and exits 1 when there is any.
"""

import json
import sys


def main(argv):
    path, skip = argv[1], set()
    args = argv[2:]
    while args:
        if args[0] == "--skip" and len(args) > 1:
            skip.add(args[1])
            args = args[2:]
        else:
            sys.exit(f"usage: {argv[0]} CRATE.json [--skip MODULE]...")
    doc = json.load(open(path, encoding="utf-8"))
    index = doc["index"]
    missing, seen, count = [], set(), 0

    def kind_of(item):
        inner = item["inner"]
        return next(iter(inner)) if isinstance(inner, dict) else inner

    def check(item, where):
        nonlocal count
        count += 1
        if "```" not in (item.get("docs") or ""):
            missing.append(f"{where} ({kind_of(item)})")

    def walk(item_id, where):
        item = index.get(str(item_id))
        if item is None or item["crate_id"] != 0 or item_id in seen:
            return
        seen.add(item_id)
        kind = kind_of(item)
        inner = item["inner"][kind] if isinstance(item["inner"], dict) else {}
        name = item.get("name") or ""
        path = f"{where}::{name}" if where else name
        if kind == "use":
            # A re-export: the item it names, under the name it is exported as.
            target = inner.get("id")
            if target is not None:
                walk(target, where)
            return
        if kind == "module":
            if name in skip:
                return
            if where:  # the crate root's own documentation is the crate's, checked too
                check(item, path)
            else:
                check(item, name)
            for child in inner.get("items", []):
                walk(child, path if where else name)
            return
        if kind in ("function", "constant", "static", "type_alias", "macro"):
            check(item, path)
            return
        if kind in ("struct", "enum", "union"):
            check(item, path)
            for impl_id in inner.get("impls", []):
                impl = index.get(str(impl_id))
                if impl is None:
                    continue
                body = impl["inner"]["impl"]
                if body.get("trait") is not None or body.get("blanket_impl") is not None:
                    continue  # trait impls: documented by the trait
                for member in body.get("items", []):
                    m = index.get(str(member))
                    if m is not None and m.get("visibility") == "public":
                        check(m, f"{path}::{m.get('name')}")
            return
        if kind == "trait":
            check(item, path)
            for member in inner.get("items", []):
                m = index.get(str(member))
                if m is not None:
                    check(m, f"{path}::{m.get('name')}")
            return

    walk(doc["root"], "")
    for line in missing:
        print(f"no example: {line}")
    print(f"doc examples: {count - len(missing)} of {count} public items have one", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
