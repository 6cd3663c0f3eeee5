"""The shape of the SARIF 2.1.0 log `render_sarif` writes: the parts of the standard it
uses, as TypedDicts (the log is built as plain dicts, in the key order GitHub shows, and
dumped as it is; these types make mypy check every key and value on the way).

Keys that are no Python names (`$schema`, `security-severity`) use the functional form.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class Text(TypedDict):
    text: str


class Region(TypedDict):
    startLine: int
    startColumn: int
    endLine: int
    endColumn: int


class ArtifactLocation(TypedDict):
    uri: str
    uriBaseId: str


class PhysicalLocation(TypedDict):
    artifactLocation: ArtifactLocation
    region: Region


class Location(TypedDict):
    physicalLocation: PhysicalLocation


class UriBase(TypedDict, total=False):
    uri: str
    description: Text


class Help(TypedDict):
    text: str
    markdown: str


class Configuration(TypedDict):
    level: str


RuleProperties = TypedDict(
    "RuleProperties", {"tags": list[str], "security-severity": NotRequired[str]}
)


class Rule(TypedDict):
    """A `reportingDescriptor`."""

    id: str
    shortDescription: Text
    fullDescription: Text
    help: Help
    helpUri: str
    defaultConfiguration: Configuration
    properties: RuleProperties


class ResultProperties(TypedDict, total=False):
    verified: bool
    tags: list[str]


class Result(TypedDict):
    ruleId: str
    ruleIndex: int
    level: str
    message: Text
    locations: list[Location]
    partialFingerprints: dict[str, str]
    properties: NotRequired[ResultProperties]


class Notification(TypedDict):
    level: str
    message: Text


class Invocation(TypedDict):
    executionSuccessful: bool
    startTimeUtc: NotRequired[str]
    endTimeUtc: NotRequired[str]
    toolExecutionNotifications: NotRequired[list[Notification]]


class Driver(TypedDict):
    name: str
    informationUri: str
    semanticVersion: str
    version: str
    rules: list[Rule]


class Tool(TypedDict):
    driver: Driver


class AutomationDetails(TypedDict):
    id: str


class RunProperties(TypedDict):
    status: str
    agents: dict[str, int]
    usage: dict[str, int | float]
    droppedFindings: int
    reanchoredFindings: int


class Run(TypedDict):
    tool: Tool
    automationDetails: AutomationDetails
    originalUriBaseIds: dict[str, UriBase]
    invocations: list[Invocation]
    columnKind: str
    results: list[Result]
    properties: RunProperties


SarifLog = TypedDict("SarifLog", {"$schema": str, "version": str, "runs": list[Run]})
