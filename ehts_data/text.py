"""Text from the data is text: names, ids, column names and commentary made safe for each
place they are shown (HTML, plotly labels, Streamlit Markdown, CSV and Excel cells).

Ingest refuses control characters in ids and names, but older stores and free text may
still hold anything, so every writer goes through here rather than trusting the store.
"""

from __future__ import annotations

import html as _html
import re

import pandas as pd

# Characters XML 1.0 (and so an xlsx file) cannot hold; openpyxl raises on them.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # tab aside: what ingest refuses in names
# A spreadsheet evaluates a cell beginning with one of these (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:/&\"'=^])")


def for_html(value) -> str:
    """Escaped for HTML text or attributes."""
    return _html.escape(str(value), quote=True)


def for_plotly(value):
    """A label as plotly shows it: plotly renders <b>, <a href> and <br> in labels, hover text
    and legends, and decodes entities after, so escaping & < > shows the text as written."""
    if not isinstance(value, str):
        return value
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def for_markdown(value) -> str:
    """Escaped for st.markdown and friends: every Markdown (and HTML) character shows as
    itself, so a name can never become a link, an image or formatting."""
    lines = (CONTROL.sub(" ", line) for line in str(value).splitlines())
    return "  \n".join(_MARKDOWN.sub(r"\\\1", line) for line in lines)


def for_spreadsheet(value):
    """A cell no spreadsheet will evaluate: a string starting =, +, -, @, tab or CR gets a
    leading ', characters an xlsx file cannot hold become U+FFFD. Numbers stay numbers."""
    if not isinstance(value, str):
        return value
    value = _ILLEGAL.sub("\ufffd", value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def for_terminal(value) -> str:
    """Printed to a terminal as written: a control character (an escape sequence could move
    the cursor or clear the screen) shows as its \\x code."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))


def spreadsheet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell and column name made safe for CSV and Excel."""
    out = frame.copy()
    out.columns = [for_spreadsheet(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            # Built as objects: map() would turn a column of 784 and 590.4 into 784.0.
            out[col] = pd.Series(
                [for_spreadsheet(v) for v in out[col]], index=out.index, dtype=object
            )
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV that opens safely in a spreadsheet (UTF-8, no index)."""
    return spreadsheet_frame(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")
