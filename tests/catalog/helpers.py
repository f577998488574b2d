"""MARC21 and MARCXML files made in the tests with pymarc, and valid ISBNs."""
from pymarc import Field, Indicators, Leader, Record, Subfield
from pymarc.marcxml import record_to_xml


def isbn13(body: str) -> str:
    """An ISBN-13 from its first 12 digits, with the right check digit."""
    total = sum(int(ch) * (1 if i % 2 == 0 else 3) for i, ch in enumerate(body))
    return body + str((10 - total % 10) % 10)


def make_record(
    n: int,
    *,
    title: str | None = None,
    isbn: str | None = None,
    barcodes: tuple[str, ...] = (),
    branch: str | None = "BSH",
    language: str = "rus",
    leader6: str = "a",
    leader7: str = "m",
    extra: tuple[Field, ...] = (),
) -> Record:
    record = Record(force_utf8=True)
    record.leader = Leader(f"00000n{leader6}{leader7} a2200000 i 4500")
    record.add_field(Field(tag="001", data=f"rec{n:05d}"))
    record.add_field(Field(tag="008", data=f"240101s2015    kz            000 1 {language} d"))
    if isbn is not None:
        record.add_field(Field(tag="020", indicators=Indicators(" ", " "),
                               subfields=[Subfield("a", isbn)]))
    record.add_field(Field(tag="100", indicators=Indicators("1", " "),
                           subfields=[Subfield("a", f"Құнанбайұлы, Абай {n},")]))
    if title is not False:
        text = title if title is not None else f"Қара сөздер {n}"
        record.add_field(Field(tag="245", indicators=Indicators("1", "0"), subfields=[
            Subfield("a", f"{text} :"), Subfield("b", "таңдамалы /"),
            Subfield("c", "Абай.")]))
    record.add_field(Field(tag="260", indicators=Indicators(" ", " "), subfields=[
        Subfield("a", "Алматы :"), Subfield("b", "Жазушы,"), Subfield("c", "2015.")]))
    record.add_field(Field(tag="650", indicators=Indicators(" ", "7"),
                           subfields=[Subfield("a", "Поэзия.")]))
    record.add_field(Field(tag="520", indicators=Indicators(" ", " "),
                           subfields=[Subfield("a", "Философиялық ой-толғаулар.")]))
    for extra_field in extra:
        record.add_field(extra_field)
    for barcode in barcodes:
        subfields = [Subfield("b", branch)] if branch else []
        record.add_field(Field(tag="852", indicators=Indicators(" ", " "),
                               subfields=[*subfields, Subfield("p", barcode)]))
    return record


def marc_file(records: list[Record]) -> bytes:
    return b"".join(r.as_marc() for r in records)


def marcxml_file(records: list[Record]) -> bytes:
    body = b"".join(record_to_xml(r, namespace=False) for r in records)
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<collection xmlns="http://www.loc.gov/MARC21/slim">' + body + b"</collection>")


def thousand_records(*, broken: int | None = None, how: str = "no_title") -> list[Record]:
    """1,000 records with 2 copies each (BSH and SOK); record `broken` (1-based) is bad."""
    records = []
    for n in range(1, 1001):
        kwargs = {"isbn": isbn13(f"978601{n:06d}"), "barcodes": (f"BSH{n:06d}",)}
        if n == broken and how == "no_title":
            kwargs["title"] = False
        if n == broken and how == "bad_isbn":
            good = kwargs["isbn"]
            kwargs["isbn"] = good[:-1] + str((int(good[-1]) + 1) % 10)
        record = make_record(n, **kwargs)
        record.add_field(Field(tag="852", indicators=Indicators(" ", " "),
                               subfields=[Subfield("b", "SOK"), Subfield("p", f"SOK{n:06d}")]))
        records.append(record)
    return records
