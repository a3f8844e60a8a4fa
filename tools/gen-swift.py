#!/usr/bin/python3
"""Generates the Swift side of every message in proto/: value types, the bridge to and from
the protobuf-c structs of Sources/CEtcdProto, the pre-scan schemas and both JSON renderings.

    tools/gen-swift.py            # writes Sources/Wire/Generated/*.swift

Reads the schemas through protoc's descriptor set (Debian protobuf-compiler and
python3-protobuf) and the C names from the protobuf-c output (run tools/gen-protobuf-c.sh
first). The output is committed; `make check-generated` fails on any diff.

Conventions read from the schemas:
- proto2 scalars are non-nullable (always written, zeros included), as gogoproto's
  nullable=false makes etcd's; a trailing comment `nullable` marks one etcd declares nullable
  (written only when set; an optional in Swift).
- proto2 bytes keep absent apart from empty (Data?); proto2 embedded messages are
  non-nullable; proto3 embedded messages are optional (gogo's pointers).
- raftpb's JSON writes every non-bytes field, zeros included (the vectors' rule); every
  other package writes jsonpb's (zero values omitted).
"""
import os
import re
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2 as d

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTO = os.path.join(ROOT, "proto")
CDIR = os.path.join(ROOT, "Sources", "CEtcdProto", "generated")
OUT = os.path.join(ROOT, "Sources", "Wire", "Generated")

# Swift names where the proto name would clash (three messages are called Snapshot).
SWIFT_NAMES = {
    "walpb.Record": "WALRecord",
    "walpb.Snapshot": "WALSnapshot",
    "snappb.snapshot": "SnapshotFile",
}
# Packages whose JSON writes zero values (../shared/vectors/README.md, raftpb mapping).
JSON_ZEROS = {"raftpb"}

F = d.FieldDescriptorProto
SCALARS = {
    F.TYPE_UINT64: ("UInt64", "0", "varint", "s64"),
    F.TYPE_FIXED64: ("UInt64", "0", "fixed64", "s64"),
    F.TYPE_INT64: ("Int64", "0", "varint", "s64"),
    F.TYPE_SINT64: ("Int64", "0", "varint", "s64"),
    F.TYPE_SFIXED64: ("Int64", "0", "fixed64", "s64"),
    F.TYPE_UINT32: ("UInt32", "0", "varint", "n32"),
    F.TYPE_FIXED32: ("UInt32", "0", "fixed32", "n32"),
    F.TYPE_INT32: ("Int32", "0", "varint", "n32"),
    F.TYPE_SINT32: ("Int32", "0", "varint", "n32"),
    F.TYPE_SFIXED32: ("Int32", "0", "fixed32", "n32"),
    F.TYPE_BOOL: ("Bool", "false", "bool", "bool"),
    F.TYPE_DOUBLE: ("Double", "0", "fixed64", "num"),
    F.TYPE_FLOAT: ("Float", "0", "fixed32", "num"),
    F.TYPE_STRING: ("String", '""', "bytes", "str"),
    F.TYPE_BYTES: ("Data", "Data()", "bytes", "bytes"),
}
JSON_READ = {
    "UInt64": "uint64", "Int64": "int64", "UInt32": "uint32", "Int32": "int32", "Bool": "bool",
    "Double": "double", "Float": "double", "String": "string", "Data": "bytes",
}
SWIFT_KEYWORDS = {"type", "default", "case", "in", "is", "as", "repeat", "switch", "where",
                  "protocol", "extension", "operator", "import", "init", "self", "Type",
                  "internal", "public", "private", "static", "struct", "class", "enum", "func",
                  "let", "var", "return", "if", "else", "for", "while", "do", "try", "throw",
                  "catch", "defer", "guard", "break", "continue", "nil", "true", "false"}


def lower_camel(name):
    """Swift property name of a proto field: `conf_state` -> confState, `Term` -> term."""
    parts = [p for p in name.split("_") if p]
    if not parts:
        return name
    first = parts[0]
    if first.isupper() and len(first) > 1:
        first = first.lower()  # ID -> id, TTL -> ttl
    else:
        first = first[0].lower() + first[1:]
    rest = [p[0].upper() + p[1:] for p in parts[1:]]
    name = first + "".join(rest)
    name = re.sub(r"Id$", "ID", name)
    return name


def enum_case_name(value, enum_name):
    """Swift static name of an enum value: MsgHup -> msgHup, EQUAL -> equal."""
    if value.isupper() or "_" in value:
        parts = [p for p in value.lower().split("_") if p]
        name = parts[0] + "".join(p[0].upper() + p[1:] for p in parts[1:])
    else:
        name = value[0].lower() + value[1:]
    return name


def escape(name):
    return f"`{name}`" if name in SWIFT_KEYWORDS else name


def parse_c_names():
    """Per message full name: C struct, function prefix and each field's C members."""
    names = {}
    for dirpath, _, files in os.walk(CDIR):
        for fn in files:
            if not fn.endswith(".pb-c.c"):
                continue
            text = open(os.path.join(dirpath, fn)).read()
            for m in re.finditer(
                    r'const ProtobufCMessageDescriptor (\w+)__descriptor =\s*\{\s*\w+,\s*"([\w.]+)",\s*"\w+",\s*"(\w+)"',
                    text):
                prefix, full, struct = m.groups()
                names[full] = {"prefix": prefix, "struct": struct, "fields": {}, "full": full}
            for m in re.finditer(
                    r'\{\s*"(\w+)",\s*(\d+),\s*\w+,\s*\w+,\s*(?:offsetof\((\w+), (\w+)\)|0),\s*(?:/\*[^*]*\*/)?\s*offsetof\((\w+), (\w+)\)',
                    text):
                fname, number, _, quant, struct, member = m.groups()
                for entry in names.values():
                    if entry["struct"] == struct:
                        entry["fields"][int(number)] = {"member": member, "quantifier": quant}
    return names


def load_descriptors():
    protos = []
    for dirpath, _, files in os.walk(PROTO):
        for fn in files:
            if fn.endswith(".proto"):
                protos.append(os.path.relpath(os.path.join(dirpath, fn), PROTO))
    protos.sort()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "set.pb")
        subprocess.check_call(["protoc", "-I", PROTO, "--include_source_info",
                               "--descriptor_set_out", out] + protos)
        fds = d.FileDescriptorSet()
        fds.ParseFromString(open(out, "rb").read())
    return fds


class Model:
    """Indexes every message and enum of the descriptor set by full name."""

    def __init__(self, fds):
        self.files = list(fds.file)
        self.messages = {}
        self.enums = {}
        self.swift = {}
        self.package_of = {}
        self.syntax_of = {}
        self.comments = {}
        for f in self.files:
            for loc in f.source_code_info.location:
                self.comments[(f.name, tuple(loc.path))] = loc.trailing_comments + loc.leading_comments
            for i, m in enumerate(f.message_type):
                self.add_message(f, m, f.package, None, (4, i))
            for e in f.enum_type:
                self.add_enum(f, e, f.package, None)

    def add_message(self, f, m, scope, parent_swift, path):
        full = f"{scope}.{m.name}"
        swift = SWIFT_NAMES.get(full, m.name if parent_swift is None else f"{parent_swift}.{m.name}")
        self.messages[full] = (f, m, path)
        self.swift[full] = swift
        self.package_of[full] = f.package
        self.syntax_of[full] = f.syntax or "proto2"
        for i, n in enumerate(m.nested_type):
            if n.options.map_entry:
                continue
            self.add_message(f, n, full, swift, path + (3, i))
        for e in m.enum_type:
            self.add_enum(f, e, full, swift)

    def add_enum(self, f, e, scope, parent_swift):
        full = f"{scope}.{e.name}"
        self.enums[full] = (f, e)
        name = e.name
        if name == "Type" and parent_swift is not None:
            name = parent_swift.split(".")[-1] + "Type"  # Swift reserves a member named Type
        self.swift[full] = name if parent_swift is None else f"{parent_swift}.{name}"

    def nullable(self, full, index):
        f, _, path = self.messages[full]
        text = self.comments.get((f.name, path + (2, index)), "")
        return re.search(r"\bnullable\b", text) is not None


class Field:
    def __init__(self, model, owner, fd, index):
        self.fd = fd
        self.number = fd.number
        self.proto_name = fd.name
        self.json_name = fd.json_name
        self.name = escape(lower_camel(fd.name))
        self.repeated = fd.label == F.LABEL_REPEATED
        self.proto3 = model.syntax_of[owner] == "proto3"
        self.oneof = fd.oneof_index if fd.HasField("oneof_index") else None
        self.type_name = fd.type_name.lstrip(".")
        self.is_message = fd.type == F.TYPE_MESSAGE
        self.is_enum = fd.type == F.TYPE_ENUM
        if self.is_message:
            self.swift = model.swift[self.type_name]
            self.default = f"{self.swift}()"
            self.scan = f".message({{ {self.swift}.wireSchema }})"
            self.json_kind = "message"
        elif self.is_enum:
            self.swift = model.swift[self.type_name]
            self.default = f"{self.swift}(rawValue: 0)"
            self.scan = ".varint"
            self.json_kind = "enum"
        else:
            self.swift, self.default, self.scan, self.json_kind = SCALARS[fd.type]
            self.scan = "." + self.scan
        if self.is_message and (self.repeated or self.oneof is not None):
            self.scan = f".messages({{ {self.swift}.wireSchema }})"
        if self.repeated and not self.is_message and fd.type not in (F.TYPE_STRING, F.TYPE_BYTES):
            self.scan = {".varint": ".packedVarint", ".bool": ".packedVarint",
                         ".fixed32": ".packedFixed32", ".fixed64": ".packedFixed64"}[self.scan]
        self.is_bytes = fd.type == F.TYPE_BYTES
        self.is_string = fd.type == F.TYPE_STRING
        # Presence: does the Swift value say whether the field is on the wire?
        if self.repeated:
            self.presence = "repeated"
        elif self.oneof is not None:
            self.presence = "oneof"
        elif self.proto3:
            self.presence = "optional" if self.is_message else "plain"
        elif self.is_bytes or (not self.is_message and model.nullable(owner, index)):
            self.presence = "optional"
        else:
            self.presence = "always"  # proto2 non-nullable: written even when zero
        self.json_zeros = model.package_of[owner] in JSON_ZEROS

    @property
    def swift_type(self):
        if self.repeated:
            return f"[{self.swift}]"
        if self.presence == "optional":
            return f"{self.swift}?"
        return self.swift

    @property
    def swift_default(self):
        if self.repeated:
            return "[]"
        if self.presence == "optional":
            return "nil"
        return self.default


def gen_enum(model, full, out, indent=""):
    f, e = model.enums[full]
    name = model.swift[full].split(".")[-1]
    out.append(f"{indent}public struct {name}: WireEnum {{")
    out.append(f"{indent}    public var rawValue: Int32")
    out.append(f"{indent}    public init(rawValue: Int32) {{ self.rawValue = rawValue }}")
    seen = set()
    for v in e.value:
        case = escape(enum_case_name(v.name, e.name))
        if case in seen:
            continue
        seen.add(case)
        out.append(f"{indent}    public static let {case} = {name}(rawValue: {v.number})")
    out.append(f"{indent}    public var name: String? {{")
    out.append(f"{indent}        switch rawValue {{")
    done = set()
    for v in e.value:
        if v.number in done:
            continue
        done.add(v.number)
        out.append(f'{indent}        case {v.number}: "{v.name}"')
    out.append(f"{indent}        default: nil")
    out.append(f"{indent}        }}")
    out.append(f"{indent}    }}")
    out.append(f"{indent}    public init?(name: String) {{")
    out.append(f"{indent}        switch name {{")
    for v in e.value:
        out.append(f'{indent}        case "{v.name}": self.init(rawValue: {v.number})')
    out.append(f"{indent}        default: return nil")
    out.append(f"{indent}        }}")
    out.append(f"{indent}    }}")
    out.append(f"{indent}}}")


def oneof_type_name(m, index):
    name = m.oneof_decl[index].name
    return "".join(p[0].upper() + p[1:] for p in name.split("_") if p)


def gen_message(model, cnames, full, out, indent=""):
    f, m, _ = model.messages[full]
    swift_full = model.swift[full]
    name = swift_full.split(".")[-1]
    c = cnames[full]
    fields = [Field(model, full, fd, i) for i, fd in enumerate(m.field)]
    oneofs = {}
    for fl in fields:
        if fl.oneof is not None:
            oneofs.setdefault(fl.oneof, []).append(fl)
    p = indent
    out.append(f"{p}public struct {name}: WireMessage {{")
    # Stored properties.
    for fl in fields:
        if fl.oneof is None:
            out.append(f"{p}    public var {fl.name}: {fl.swift_type}")
    for idx, members in oneofs.items():
        tname = oneof_type_name(m, idx)
        pname = escape(lower_camel(m.oneof_decl[idx].name))
        out.append(f"{p}    public var {pname}: {tname}?")
    out.append(f"{p}    public var unknownFields: UnknownFields")
    out.append("")
    # Oneof enums.
    for idx, members in oneofs.items():
        tname = oneof_type_name(m, idx)
        indirect = "indirect " if any(fl.is_message for fl in members) else ""
        out.append(f"{p}    public {indirect}enum {tname}: Hashable, Sendable {{")
        for fl in members:
            out.append(f"{p}        case {fl.name}({fl.swift})")
        out.append(f"{p}    }}")
        out.append("")
    # Memberwise init with defaults.
    params = []
    for fl in fields:
        if fl.oneof is None:
            params.append(f"{fl.name}: {fl.swift_type} = {fl.swift_default}")
    for idx in oneofs:
        params.append(f"{escape(lower_camel(m.oneof_decl[idx].name))}: {oneof_type_name(m, idx)}? = nil")
    # Each initializer assigns every property once (no defaults run first and get overwritten).
    out.append(f"{p}    public init() {{")
    for fl in fields:
        if fl.oneof is None:
            out.append(f"{p}        self.{fl.name.strip('`')} = {fl.swift_default}")
    for idx in oneofs:
        out.append(f"{p}        self.{lower_camel(m.oneof_decl[idx].name)} = nil")
    out.append(f"{p}        self.unknownFields = UnknownFields()")
    out.append(f"{p}    }}")
    out.append("")
    if not params:
        params = None
    if params:
        out.append(f"{p}    public init({', '.join(params)}) {{")
        for fl in fields:
            if fl.oneof is None:
                out.append(f"{p}        self.{fl.name.strip('`')} = {fl.name}")
        for idx in oneofs:
            pname = escape(lower_camel(m.oneof_decl[idx].name))
            out.append(f"{p}        self.{pname.strip('`')} = {pname}")
        out.append(f"{p}        self.unknownFields = UnknownFields()")
        out.append(f"{p}    }}")
        out.append("")
    out.append(f'{p}    public static let protoName: String = "{full}"')
    # Scan schema.
    out.append(f'{p}    public static let wireSchema: WireSchema = WireSchema("{full}", [')
    for fl in fields:
        out.append(f'{p}        WireField({fl.number}, "{fl.proto_name}", {fl.scan}),')
    out.append(f"{p}    ])")
    out.append("")
    gen_bridge(model, c, fields, oneofs, m, out, p)
    gen_json(fields, oneofs, m, full, out, p)
    # Nested types.
    for e in m.enum_type:
        out.append("")
        gen_enum(model, f"{full}.{e.name}", out, p + "    ")
    for n in m.nested_type:
        if n.options.map_entry:
            continue
        out.append("")
        gen_message(model, cnames, f"{full}.{n.name}", out, p + "    ")
    out.append(f"{p}}}")


def gen_bridge(model, c, fields, oneofs, m, out, p):
    struct, prefix = c["struct"], c["prefix"]
    cf = c["fields"]
    q = p + "        "
    out.append(f"{p}    public func _makeC(_ arena: WireArena) -> UnsafeMutableRawPointer {{")
    out.append(f"{q}let c = arena.allocate({struct}.self)")
    out.append(f"{q}{prefix}__init(c)")
    for fl in fields:
        member = cf[fl.number]["member"]
        quant = cf[fl.number]["quantifier"]
        if fl.oneof is not None:
            continue
        v = f"self.{fl.name}"
        if fl.repeated:
            out.append(f"{q}c.pointee.{quant} = {v}.count")
            if fl.is_message:
                out.append(f"{q}if !{v}.isEmpty {{")
                out.append(f"{q}    let items = arena.allocateArray(UnsafeMutablePointer<{CSTRUCT[fl.type_name]}>?.self, count: {v}.count)")
                out.append(f"{q}    for (i, item) in {v}.enumerated() {{ items[i] = item._makeC(arena).assumingMemoryBound(to: {CSTRUCT[fl.type_name]}.self) }}")
                out.append(f"{q}    c.pointee.{member} = items")
                out.append(f"{q}}}")
            elif fl.is_bytes:
                out.append(f"{q}if !{v}.isEmpty {{")
                out.append(f"{q}    let items = arena.allocateArray(ProtobufCBinaryData.self, count: {v}.count)")
                out.append(f"{q}    for (i, item) in {v}.enumerated() {{ items[i] = arena.binary(item) }}")
                out.append(f"{q}    c.pointee.{member} = items")
                out.append(f"{q}}}")
            elif fl.is_string:
                out.append(f"{q}if !{v}.isEmpty {{")
                out.append(f"{q}    let items = arena.allocateArray(ProtobufCBinaryData.self, count: {v}.count)")
                out.append(f"{q}    for (i, item) in {v}.enumerated() {{ items[i] = arena.binary(Data(item.utf8)) }}")
                out.append(f"{q}    c.pointee.{member} = items")
                out.append(f"{q}}}")
            elif fl.is_enum:
                out.append(f"{q}if !{v}.isEmpty {{")
                out.append(f"{q}    let items = arena.allocateArray({CENUM[fl.type_name]}.self, count: {v}.count)")
                out.append(f"{q}    for (i, item) in {v}.enumerated() {{ items[i] = {CENUM[fl.type_name]}(rawValue: .init(truncatingIfNeeded: item.rawValue)) }}")
                out.append(f"{q}    c.pointee.{member} = items")
                out.append(f"{q}}}")
            elif fl.swift == "Bool":
                out.append(f"{q}if !{v}.isEmpty {{")
                out.append(f"{q}    let items = arena.allocateArray(protobuf_c_boolean.self, count: {v}.count)")
                out.append(f"{q}    for (i, item) in {v}.enumerated() {{ items[i] = item ? 1 : 0 }}")
                out.append(f"{q}    c.pointee.{member} = items")
                out.append(f"{q}}}")
            else:
                out.append(f"{q}c.pointee.{member} = arena.array({v})")
            continue
        setter = c_setter(fl, member, v)
        if fl.presence == "always":
            if not fl.is_message:
                out.append(f"{q}c.pointee.{quant} = 1")
            out.append(f"{q}{setter}")
        elif fl.presence == "optional":
            out.append(f"{q}if let value = {v} {{")
            if not fl.is_message:
                out.append(f"{q}    c.pointee.{quant} = 1")
            out.append(f"{q}    {c_setter(fl, member, 'value')}")
            out.append(f"{q}}}")
        else:  # proto3 plain scalar: protobuf-c writes it when not zero
            out.append(f"{q}{setter}")
    for idx, members in oneofs.items():
        pname = escape(lower_camel(m.oneof_decl[idx].name))
        case_member = cf[members[0].number]["quantifier"]
        out.append(f"{q}switch self.{pname} {{")
        for fl in members:
            member = cf[fl.number]["member"]
            out.append(f"{q}case .{fl.name}(let value):")
            out.append(f"{q}    c.pointee.{case_member} = .init(rawValue: {fl.number})")
            out.append(f"{q}    {c_setter(fl, member, 'value')}")
        out.append(f"{q}case nil: break")
        out.append(f"{q}}}")
    out.append(f"{q}arena.attach(unknownFields, to: c)")
    out.append(f"{q}return UnsafeMutableRawPointer(c)")
    out.append(f"{p}    }}")
    out.append("")
    out.append(f"{p}    public static func _unpackC(_ bytes: UnsafeRawBufferPointer, _ arena: WireArena) -> UnsafeMutableRawPointer? {{")
    out.append(f"{q}{prefix}__unpack(arena.allocator, bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)).map {{ UnsafeMutableRawPointer($0) }}")
    out.append(f"{p}    }}")
    out.append("")
    out.append(f"{p}    public init(_c raw: UnsafeRawPointer, _ arena: WireArena) {{")
    reads_c = any(True for _ in fields) or model.syntax_of[c["full"]] == "proto2"
    out.append(f"{q}let c = raw.assumingMemoryBound(to: {struct}.self)" if reads_c else f"{q}_ = raw")
    for fl in fields:
        if fl.oneof is not None:
            continue
        member = cf[fl.number]["member"]
        quant = cf[fl.number]["quantifier"]
        target = f"self.{fl.name.strip('`')}"
        if fl.repeated:
            n = f"Int(c.pointee.{quant})"
            elem = c_getter(fl, f"c.pointee.{member}[i]", element=True)
            if elem == f"c.pointee.{member}[i]":
                # Scalars as C holds them: one copy of the run.
                out.append(f"{q}{target} = {n} == 0 ? [] : Array(UnsafeBufferPointer(start: c.pointee.{member}, count: {n}))")
            else:
                out.append(f"{q}{target} = {n} == 0 ? [] : (0..<{n}).map {{ i in {elem} }}")
            continue
        getter = c_getter(fl, f"c.pointee.{member}")
        if fl.presence == "optional":
            if fl.is_message:
                out.append(f"{q}{target} = c.pointee.{member}.map {{ {fl.swift}(_c: UnsafeRawPointer($0), arena) }}")
            else:
                out.append(f"{q}{target} = c.pointee.{quant} != 0 ? {getter} : nil")
        elif fl.is_message:
            out.append(f"{q}{target} = c.pointee.{member}.map {{ {fl.swift}(_c: UnsafeRawPointer($0), arena) }} ?? {fl.swift}()")
        else:
            out.append(f"{q}{target} = {getter}")
    for idx, members in oneofs.items():
        pname = lower_camel(m.oneof_decl[idx].name)
        case_member = cf[members[0].number]["quantifier"]
        out.append(f"{q}switch c.pointee.{case_member}.rawValue {{")
        for fl in members:
            member = cf[fl.number]["member"]
            if fl.is_message:
                getter = f"{fl.swift}(_c: UnsafeRawPointer(c.pointee.{member}), arena)"
            else:
                getter = c_getter(fl, f"c.pointee.{member}")
            out.append(f"{q}case {fl.number}: self.{pname} = .{fl.name}({getter})")
        out.append(f"{q}default: self.{pname} = nil")
        out.append(f"{q}}}")
    if model.syntax_of[full_name_of(c)] == "proto2":
        out.append(f"{q}self.unknownFields = UnknownFields(c.pointee.base)")
    else:
        out.append(f"{q}self.unknownFields = UnknownFields()  // etcd's proto3 code drops unknown fields")
    out.append(f"{p}    }}")
    out.append("")


def full_name_of(c):
    return c["full"]


def c_setter(fl, member, v):
    if fl.is_message:
        return f"c.pointee.{member} = {v}._makeC(arena).assumingMemoryBound(to: {CSTRUCT[fl.type_name]}.self)"
    if fl.is_enum:
        return f"c.pointee.{member} = {CENUM[fl.type_name]}(rawValue: .init(truncatingIfNeeded: {v}.rawValue))"
    if fl.is_bytes:
        return f"c.pointee.{member} = arena.binary({v})"
    if fl.is_string:
        return f"c.pointee.{member} = arena.binary(Data({v}.utf8))"
    if fl.swift == "Bool":
        return f"c.pointee.{member} = {v} ? 1 : 0"
    return f"c.pointee.{member} = {v}"


def c_getter(fl, expr, element=False):
    if fl.is_message:
        return f"{fl.swift}(_c: UnsafeRawPointer({expr}!), arena)"
    if fl.is_enum:
        return f"{fl.swift}(rawValue: Int32(truncatingIfNeeded: {expr}.rawValue))"
    if fl.is_bytes:
        return f"arena.take({expr})"
    if fl.is_string:
        return f"String(decoding: UnsafeRawBufferPointer(start: {expr}.data, count: {expr}.len), as: UTF8.self)"
    if fl.swift == "Bool":
        return f"{expr} != 0"
    return expr


def json_write(fl, v):
    k = fl.json_kind
    if fl.is_message:
        return f"{v}.jsonValue(style)"
    if fl.is_enum:
        return f"JSONCoding.enumName({v})" if fl.json_zeros else f"JSONCoding.enumJSONPB({v})"
    if k == "s64":
        return f".string(String({v}))"
    if k == "n32":
        return f".number(Double({v}))"
    if k == "num":
        return f".number(Double({v}))"
    if k == "bool":
        return f".bool({v})"
    if k == "str":
        return f".string({v})"
    if k == "bytes":
        return f"JSONCoding.base64({v})"
    raise ValueError(k)


def json_read(fl, v, path):
    if fl.is_message:
        return f"try {fl.swift}(jsonValue: {v}, style: style)"
    if fl.is_enum:
        return f"try JSONCoding.enumValue({v}, {path})"
    conv = JSON_READ[fl.swift]
    expr = f"try JSONCoding.{conv}({v}, {path})"
    if fl.swift == "Float":
        expr = f"Float({expr})"
    return expr


def is_zero(fl, v):
    if fl.is_enum:
        return f"{v}.rawValue == 0"
    if fl.is_message:
        return f"{v} == {fl.swift}()"
    if fl.swift == "Bool":
        return f"!{v}"
    if fl.swift in ("String", "Data"):
        return f"{v}.isEmpty"
    return f"{v} == 0"


def gen_json(fields, oneofs, m, full, out, p):
    q = p + "        "
    out.append(f"{p}    public func jsonValue(_ style: JSONStyle) -> JSONValue {{")
    if not fields:
        out.append(f"{q}.object([])")
        out.append(f"{p}    }}")
        out.append("")
        out.append(f"{p}    public init(jsonValue: JSONValue, style: JSONStyle) throws(WireError) {{")
        out.append(f'{q}_ = try JSONFields(jsonValue, path: "{full}")')
        out.append(f"{q}self.init()")
        out.append(f"{p}    }}")
        return
    out.append(f"{q}var members: [(String, JSONValue)] = []")
    out.append(f"{q}let named = {{ (json: String, proto: String) in style == .jsonName ? json : proto }}")
    ordered = sorted(fields, key=lambda fl: fl.number)
    for fl in ordered:
        key = f'named("{fl.json_name}", "{fl.proto_name}")'
        if fl.oneof is not None:
            pname = lower_camel(m.oneof_decl[fl.oneof].name)
            out.append(f"{q}if case .{fl.name}(let value)? = self.{pname} {{ members.append(({key}, {json_write(fl, 'value')})) }}")
            continue
        v = f"self.{fl.name}"
        if fl.repeated:
            line = f"members.append(({key}, .array({v}.map {{ {json_write(fl, '$0')} }})))"
            out.append(f"{q}{line}" if fl.json_zeros else f"{q}if !{v}.isEmpty {{ {line} }}")
        elif fl.presence == "optional":
            out.append(f"{q}if let value = {v} {{ members.append(({key}, {json_write(fl, 'value')})) }}")
        elif fl.json_zeros:
            out.append(f"{q}members.append(({key}, {json_write(fl, v)}))")
        else:
            out.append(f"{q}if !({is_zero(fl, v)}) {{ members.append(({key}, {json_write(fl, v)})) }}")
    out.append(f"{q}return .object(members)")
    out.append(f"{p}    }}")
    out.append("")
    out.append(f"{p}    public init(jsonValue: JSONValue, style: JSONStyle) throws(WireError) {{")
    out.append(f'{q}let object = try JSONFields(jsonValue, path: "{full}")')
    out.append(f"{q}self.init()")
    for fl in ordered:
        path = f'object.fieldPath("{fl.proto_name}")'
        get = f'object.value("{fl.json_name}", "{fl.proto_name}")'
        if fl.oneof is not None:
            pname = lower_camel(m.oneof_decl[fl.oneof].name)
            out.append(f"{q}if let value = {get} {{ self.{pname} = .{fl.name}({json_read(fl, 'value', path)}) }}")
            continue
        target = f"self.{fl.name.strip('`')}"
        if fl.repeated:
            out.append(f"{q}if let value = {get} {{")
            out.append(f"{q}    {target} = try JSONCoding.array(value, {path}).map {{ (item: JSONValue) throws(WireError) in {json_read(fl, 'item', path)} }}")
            out.append(f"{q}}}")
        else:
            out.append(f"{q}if let value = {get} {{ {target} = {json_read(fl, 'value', path)} }}")
    out.append(f"{p}    }}")


CSTRUCT = {}
CENUM = {}


def c_enum_names():
    """Per enum full name, its protobuf-c C type name."""
    names = {}
    for dirpath, _, files in os.walk(CDIR):
        for fn in files:
            if fn.endswith(".pb-c.c"):
                text = open(os.path.join(dirpath, fn)).read()
                for m in re.finditer(
                        r'const ProtobufCEnumDescriptor \w+__descriptor =\s*\{\s*\w+,\s*"([\w.]+)",\s*"\w+",\s*"(\w+)"',
                        text):
                    names[m.group(1)] = m.group(2)
    return names


def main():
    fds = load_descriptors()
    model = Model(fds)
    cnames = parse_c_names()
    for full, c in cnames.items():
        CSTRUCT[full] = c["struct"]
    CENUM.update(c_enum_names())
    missing = [full for full in model.messages if full not in cnames]
    if missing:
        sys.exit(f"gen-swift: no protobuf-c output for {missing}; run tools/gen-protobuf-c.sh")
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.endswith(".swift"):
            os.remove(os.path.join(OUT, old))
    for f in model.files:
        out = ["// Generated by tools/gen-swift.py from proto/" + f.name + ". DO NOT EDIT.",
               "import CEtcdProto", "import Foundation", ""]
        for e in f.enum_type:
            gen_enum(model, f"{f.package}.{e.name}", out)
            out.append("")
        for msg in f.message_type:
            gen_message(model, cnames, f"{f.package}.{msg.name}", out)
            out.append("")
        name = f.name.replace("/", "_").replace(".proto", ".swift")
        with open(os.path.join(OUT, name), "w") as fh:
            fh.write("\n".join(out).rstrip() + "\n")
    registry = ["// Generated by tools/gen-swift.py. DO NOT EDIT.", "",
                "/// Every message type of proto/, by its full protobuf name.",
                "public enum WireRegistry {",
                "    public static let messageTypes: [String: any WireMessage.Type] = ["]
    for full in sorted(model.messages):
        registry.append(f'        "{full}": {model.swift[full]}.self,')
    registry += ["    ]", "}"]
    with open(os.path.join(OUT, "WireRegistry.swift"), "w") as fh:
        fh.write("\n".join(registry) + "\n")


if __name__ == "__main__":
    main()
