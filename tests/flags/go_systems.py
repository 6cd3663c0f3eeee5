"""The `.swath/flags.yaml` of two homegrown Go flag systems in their real shapes, shared by
the tests that read them (reference counting, removal): etcd 3.4's capabilities (a map
filled in `func init`, read through `api.IsCapabilityEnabled(api.X)`) and grpc-go 1.33's
envconfig (package variables read as `envconfig.X`)."""

from __future__ import annotations


def etcd_capabilities(files: str) -> str:
    """`files`: the definition file's path in the test's tree."""
    return f"""\
systems:
  - name: etcd-capabilities
    files: ["{files}"]
    language: go
    definition:
      rule:
        kind: keyed_element
        has: {{kind: literal_element, nthChild: 1, pattern: $KEY}}
        all:
          - has: {{kind: literal_element, nthChild: 2, pattern: $STATE}}
        inside: {{kind: function_declaration, regex: '^func init', stopBy: end}}
    reference:
      pattern: {{context: "func _() {{ _ = api.IsCapabilityEnabled(api.$KEY) }}", selector: call_expression}}
      is_check: true
"""


def grpc_envconfig(*on: str) -> str:
    """`on`: the variables overridden to "on"."""
    overrides = "".join(f'  {name}: "on"\n' for name in on)
    return f"""\
overrides:
{overrides}systems:
  - name: grpc-envconfig
    files: ["internal/envconfig/envconfig.go"]
    language: go
    definition:
      rule:
        kind: expression_list
        pattern: $STATE
        inside:
          kind: var_spec
          has: {{field: name, pattern: $KEY}}
    reference:
      pattern: {{context: "func _() {{ _ = envconfig.$KEY }}", selector: selector_expression}}
      is_check: true
"""
