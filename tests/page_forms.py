"""Read a page's forms as a browser does, so that a test can fill and send them like a person:
every field with its current value, a select's options, and what the form would send."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    attrs: dict[str, str]
    # name -> the values the form sends as it stands (a select's selected option, or its first)
    values: dict[str, list[str]] = field(default_factory=dict)
    # name -> every option of a select, in order
    options: dict[str, list[str]] = field(default_factory=dict)

    def data(self, **changes: str) -> dict[str, list[str]]:
        """What a person's click on the form's button sends, after choosing `changes`."""
        sent = {name: list(values) for name, values in self.values.items()}
        for name, value in changes.items():
            sent[name] = [value]
        return sent


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._select: str | None = None
        self._select_selected = False

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {key: value or "" for key, value in attrs_list}
        if tag == "form":
            self.forms.append(Form(attrs.get("action", ""), attrs.get("method", "get").lower(), attrs))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        if attrs.get("form"):
            # A control outside its form, tied to it by `form="<id>"` (a queue row's checkbox).
            owners = [f for f in self.forms if f.attrs.get("id") == attrs["form"]]
            if not owners:
                return
            form = owners[0]
        name = attrs.get("name")
        if tag == "select" and name:
            self._select, self._select_selected = name, False
            form.options[name] = []
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            form.options[self._select].append(value)
            if "selected" in attrs or (not self._select_selected and len(form.options[self._select]) == 1):
                form.values[self._select] = [value]
                self._select_selected = self._select_selected or "selected" in attrs
        elif tag in ("input", "textarea") and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            form.values.setdefault(name, []).append(attrs.get("value", "on" if kind == "checkbox" else ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def forms_in(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


class _TableParser(HTMLParser):
    """The rows of one table as a reader sees them: each row's cells' text, headers included."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.rows: list[list[str]] = []
        self.found = False
        self._depth = 0  # tables open inside the one read (none expected)
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            if self._depth or dict(attrs_list).get("id") == self.table_id:
                self.found = True
                self._depth += 1
        elif self._depth and tag == "tr":
            self.rows.append([])
        elif self._depth and tag in ("td", "th") and self.rows:
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._depth:
            self._depth -= 1
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join(" ".join(self._cell).split()))
            self._cell = None


def table_rows(html: str, table_id: str) -> dict[str, list[str]]:
    """The rows of the table `table_id` under their first cell (the row's header): the rest of
    the cells' text, whitespace collapsed. Header-only rows (the column heads) are left out."""
    parser = _TableParser(table_id)
    parser.feed(html)
    assert parser.found, f"no table #{table_id} on the page"
    return {
        row[0]: row[1:] for row in parser.rows if len(row) > 1 and not all(cell == "" for cell in row[1:])
    }
