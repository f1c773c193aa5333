"""Every TR-181 parameter the schema and the Bulk Data decoder name is one the shared XML defines.

The XML (../shared/data/broadband/tr181, Broadband Forum device-data-model, see its
SOURCE.md) defines objects in ``<component>``s that ``<model>``s and objects mount, with
paths relative to where they are mounted, and extends objects with ``<object base=...>``.
:func:`resolve` mounts them all and lists each parameter by full path, ``{i}`` for
instance numbers, exactly as a column's ``tr181`` is written. A component imported from a
file outside the shared set cannot be resolved; a path that might lie in one is reported
as such, so the failure says whether the name is wrong or its definition is missing. An
object defined with an absolute path in a component no shared model mounts (the USP-only
``DeviceInfoUSP``: ``Device.DeviceInfo.Reboots.``) is defined all the same.

A parameter, or an object above it, with ``status="deleted"`` is defined but no longer
part of TR-181: a device of the files' version does not have it. Paths the schema names
that are deleted are declared below as a known gap, so that a new one fails.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from telcolens.broadband.tr181 import (
    EXTRA_COUNTERS,
    NATIVE_UNITS,
    NO_READING,
    KpiSpec,
    is_counter,
    unit_conversion,
)
from telcolens.schema import BROADBAND_KPI, TABLES

TR181 = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "broadband" / "tr181"
INTEGER_TYPES = {"int", "unsignedInt", "long", "unsignedLong", "Dbm1000"}
COUNTER_TYPES = {"StatsCounter32", "StatsCounter64"}


@dataclass
class Parameter:
    path: str
    type: str | None
    units: str | None
    description: str
    deleted: bool
    mounted: bool = True


class DeletedParameter(AssertionError):
    """The parameter is defined, but deleted from TR-181 (itself or an object above it)."""


# The Multi-AP objects (Device.WiFi.MultiAP.) are deleted since TR-181 2.18, replaced by
# Device.WiFi.DataElements. (tr-181-2-wifi-de.xml); the per-client parameters of access
# points (Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.) are in tr-181-2-wifi-base.xml.
# Neither file is shared, so the schema's Wi-Fi columns name the deleted Multi-AP ones.
KNOWN_DELETED = frozenset(
    "Device.WiFi.MultiAP.APDevice.{i}.Radio.{i}." + leaf
    for leaf in (
        "Channel",
        "AP.{i}.AssociatedDeviceNumberOfEntries",
        "AP.{i}.AssociatedDevice.{i}.SignalStrength",
        "AP.{i}.AssociatedDevice.{i}.Noise",
        "AP.{i}.AssociatedDevice.{i}.LastDataDownlinkRate",
        "AP.{i}.AssociatedDevice.{i}.Stats.PacketsSent",
        "AP.{i}.AssociatedDevice.{i}.Stats.RetransCount",
    )
)


@dataclass
class Model:
    parameters: dict[str, Parameter] = field(default_factory=dict)
    # (mount prefix, component, file) of components imported from files not shared.
    unshared: list[tuple[str, str, str]] = field(default_factory=list)

    def check(self, path: str) -> Parameter:
        """The active parameter at ``path``; :class:`DeletedParameter` or AssertionError."""
        found = self.parameters.get(path)
        if found is None:
            raise AssertionError(self.missing(path))
        if found.deleted:
            raise DeletedParameter(self.missing(path))
        return found

    def missing(self, path: str) -> str:
        """Why ``path`` is not a parameter here, in words."""
        found = self.parameters.get(path)
        if found is not None and found.deleted:
            return f"{path} is deleted from TR-181 (status='deleted', itself or an object above)"
        candidates = sorted({f for prefix, _, f in self.unshared if path.startswith(prefix)})
        if candidates:
            return (
                f"{path} is not defined in the shared files; it could come from "
                f"{', '.join(candidates)} (not shared): name a parameter the shared files define"
            )
        return f"{path} is not a TR-181 parameter of the shared files"


@functools.cache
def resolve() -> Model:
    """Every parameter of the shared TR-181 files, by its full path."""
    if not TR181.is_dir():
        pytest.skip(f"the shared TR-181 files are not at {TR181}")
    roots = [ET.parse(f).getroot() for f in sorted(TR181.glob("*.xml"))]
    components = {c.get("name"): c for root in roots for c in root.findall("component")}
    imported = {
        c.get("name"): imp.get("file")
        for root in roots
        for imp in root.findall("import")
        for c in imp.findall("component")
    }
    model = Model()
    deleted: set[str] = set()
    mounted: set[str] = set()  # components reached from a model

    def mount(elem: ET.Element, prefix: str, obj: str | None) -> None:
        for child in elem:
            if child.tag == "parameter" and obj is not None and child.get("name"):
                model.parameters[obj + child.get("name")] = _parameter(obj, child)
            elif child.tag == "object" and (name := child.get("name") or child.get("base")):
                full = name if name.startswith("Device.") else prefix + name
                if child.get("status") == "deleted":
                    deleted.add(full)
                mount(child, full, full)
            elif child.tag == "component" and (ref := child.get("ref")):
                at = prefix + (child.get("path") or "")
                if ref in components:
                    mounted.add(ref)
                    mount(components[ref], at, at if child.get("path") else obj)
                else:
                    model.unshared.append((at, ref, imported.get(ref, "an unknown file")))

    for root in roots:
        for m in root.findall("model"):
            mount(m, "", None)
    known = set(model.parameters)
    for name, component in components.items():
        if name not in mounted:  # its absolute objects are defined wherever it is mounted
            for obj in component.iter("object"):
                if (path := obj.get("name") or "").startswith("Device."):
                    if obj.get("status") == "deleted":
                        deleted.add(path)
                    mount(_only(obj), "", None)
    for path, p in model.parameters.items():
        p.deleted = p.deleted or any(path.startswith(o) for o in deleted)
        p.mounted = path in known
    return model


def _only(obj: ET.Element) -> ET.Element:
    """An element holding just ``obj``, to mount it on its own."""
    holder = ET.Element("holder")
    holder.append(obj)
    return holder


def _parameter(obj: str, elem: ET.Element) -> Parameter:
    syntax = elem.find("syntax")
    kind = units = None
    if syntax is not None:
        data_type = syntax.find("dataType")
        kinds = [c.tag for c in syntax if c.tag not in ("list", "default")]
        kind = data_type.get("ref") if data_type is not None else (kinds[0] if kinds else None)
        unit = syntax.find(".//units")
        units = unit.get("value") if unit is not None else None
    text = " ".join((elem.findtext("description") or "").split())
    return Parameter(obj + elem.get("name"), kind, units, text, elem.get("status") == "deleted")


def native_unit(p: Parameter) -> str | None:
    """The unit a parameter's values are written in, as the decoder names it."""
    if p.type == "Dbm1000":
        return "0.001 dBm"  # TR-106 Dbm1000: thousandths of a dBm
    for code in ("RCPI", "ANPI"):  # units say dBm, the value is the 802.11 code
        if code in p.description:
            return code
    return p.units


SCHEMA_PATHS = sorted(
    {(t.name, c.name, c.tr181) for t in TABLES.values() for c in t.columns if c.tr181}
)


def test_the_schema_names_tr181_parameters():
    assert SCHEMA_PATHS, "no column of telcolens.schema names a TR-181 parameter"


@pytest.mark.parametrize(
    ("table", "column", "path"),
    [
        pytest.param(
            *p,
            marks=pytest.mark.xfail(
                strict=True, raises=DeletedParameter, reason="Device.WiFi.MultiAP. is deleted"
            ),
        )
        if p[2] in KNOWN_DELETED
        else p
        for p in SCHEMA_PATHS
    ],
)
def test_each_schema_path_is_defined_in_the_shared_xml(table, column, path):
    resolve().check(path)


def test_the_resolver_finds_parameters_of_mounted_components():
    """The resolver itself: a relative object in a component, a base object, a wrong name."""
    model = resolve()
    assert "Device.Optical.Interface.{i}.OpticalSignalLevel" in model.parameters
    assert "Device.Ethernet.Interface.{i}.Stats.Collisions" in model.parameters  # base=
    assert "Device.DeviceInfo.UpTime" in model.parameters
    assert not model.parameters["Device.DeviceInfo.Reboots.BootCount"].mounted  # USP's
    assert "Device.Optical.Interface.{i}.OpticalSignalLevels" not in model.parameters
    with pytest.raises(DeletedParameter):  # its object Device.WiFi.MultiAP. is deleted
        model.check("Device.WiFi.MultiAP.APDevice.{i}.Radio.{i}.AP.{i}.BTMAttempts")
    # The IP interface counters live in tr-181-2-interface.xml, which is not shared.
    why = model.missing("Device.IP.Interface.{i}.Stats.BytesReceived")
    assert "tr-181-2-interface.xml" in why
    assert "deleted" in model.missing("Device.Optical.Interface.{i}.LowerOpticalThreshold")


@pytest.mark.parametrize(("template", "unit"), sorted(NATIVE_UNITS.items()))
def test_each_declared_encoding_is_the_xmls(template, unit):
    model = resolve()
    found = model.parameters.get(template)
    assert found is not None, model.missing(template)
    assert native_unit(found) == unit, f"{template}: the XML says {native_unit(found)!r}"
    assert found.type in INTEGER_TYPES, f"{template} is {found.type}, not an integer type"


@pytest.mark.parametrize("column", [c for c in BROADBAND_KPI.columns if c.tr181 and c.unit])
def test_each_column_is_decoded_from_its_parameters_unit(column):
    """The unit the decoder reads a column's parameter in is the one the XML gives."""
    found = resolve().parameters.get(column.tr181)
    if found is None:
        pytest.fail(resolve().missing(column.tr181))
    declared = native_unit(found)
    assert declared is not None or column.tr181 in NATIVE_UNITS, (
        f"{column.name}: the XML gives {column.tr181} no unit; declare its encoding in "
        "NATIVE_UNITS (bulkdata.py) to say it is in {column.unit}"
    )
    decoder = KpiSpec().by_column[column.name]
    expected = unit_conversion(declared, column.unit) if declared else (1.0, 0.0)
    assert (decoder.scale, decoder.offset) == pytest.approx(expected), (
        f"{column.name}: {column.tr181} is in {declared!r}; add it to NATIVE_UNITS"
    )


def test_counters_are_the_xmls_statistics_counters():
    model = resolve()
    for path, p in model.parameters.items():  # deleted ones too: their types still say
        if p.type in COUNTER_TYPES:
            assert is_counter(path), f"{path} is a {p.type} the decoder would read as a gauge"
        elif is_counter(path):
            assert path in EXTRA_COUNTERS, f"{path} is {p.type}, not a counter"
            assert "counter" in p.description.lower() or any(
                w in p.description for w in ("Incremented", "number of", "The total")
            ), f"{path}: the description does not say it counts"
    for path in EXTRA_COUNTERS:
        assert path in model.parameters, model.missing(path)


@pytest.mark.parametrize(("template", "codes"), sorted(NO_READING.items()))
def test_no_reading_codes_are_outside_the_value_range(template, codes):
    found = resolve().parameters.get(template)
    assert found is not None, resolve().missing(template)
    assert found.type in INTEGER_TYPES
    if template.endswith("TemperatureSensor.{i}.Value"):
        assert "-274" in found.description and codes == {-274}
