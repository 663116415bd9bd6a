"""Strings from outside the app, shown as text: a bundle's name (its folder's name), an uploaded
file's name, a value from the URL, an error message (which names files, so folders).

Streamlit reads Markdown in nearly everything that shows text (st.markdown, st.caption,
st.info/warning/error, st.header/subheader, widget labels, radio and pills options, help=), with
its own additions (``:red[...]`` directives, ``:material/icon:`` and ``:emoji:`` shortcodes,
``$...$`` LaTeX). A name like ``![i](x.png)`` would make the browser fetch that address,
``**bold**`` would be bold. ``literal`` makes a string inert there while leaving ordinary text as
it reads (``mnist-vae-2d``, ``digit=99999``, ``test image #12 (a 7)``):

- every character that opens or closes something anywhere in a line is backslash-escaped
  (CommonMark lets any ASCII punctuation be, and an escaped character is only itself):
  ``\\ ` * { } [ ] < > $ & | ~`` (emphasis, code, links and images, HTML and autolinks,
  entities, tables, strikethrough, LaTeX, directives), and ``_`` unless it stands between two
  letters or digits (``snake_case`` and ``test_damaged`` cannot be emphasis, ``_x_`` can);
- what only means something at the start of a line is escaped there: ``#`` (a heading), ``+`` and
  ``-`` (a list, a rule), the ``.`` or ``)`` after a number (a numbered list); line breaks and other
  control characters become spaces, so there is no other start of a line;
- GitHub's autolinks and Streamlit's shortcodes are found in the text after escapes are read
  (``www.example.com`` becomes a link however it is escaped), so an invisible word joiner (U+2060)
  goes where one would start: between ``www`` and its dot, after the colon of ``://``, before
  ``@``, after the first colon of ``:word:``.

Where no Markdown is read (st.text, st.code, selectbox options, file names of downloads) strings
go as they are; in HTML of our own (ui/pictures.py) they go through ``html.escape``; our
components put them into the page with ``textContent`` and attributes, never ``innerHTML``.
"""

from __future__ import annotations

import re

# opens or closes something anywhere in a line; _ only does beside a space or punctuation
_SPECIAL = re.compile(r"[\\`*{}\[\]<>$&|~]|(?<![^\W_])_|_(?![^\W_])")
_LINE_START = re.compile(r"^\s*(?=[#+-])|^\s*\d+(?=[.)](\s|$))")  # a heading, a list, a rule: escape its mark
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")  # line breaks and other controls
# where a GitHub autolink (www., ://, an e-mail address) or a Streamlit shortcode (:name:) starts
_LINK_OR_SHORTCODE = re.compile(r"(?i)(?<=www)(?=\.)|(?<=:)(?=//)|(?=@)|(?<=:)(?=[\w+/-]+:)")
WORD_JOINER = "\u2060"


def literal(value) -> str:
    """``str(value)`` as Markdown that Streamlit shows as that text (see the module docstring;
    control characters as spaces, word joiners where a link or shortcode would start)."""
    s = _LINK_OR_SHORTCODE.sub(WORD_JOINER, _CONTROL.sub(" ", str(value)))
    s = _SPECIAL.sub(lambda m: "\\" + m.group(), s)
    return _LINE_START.sub(lambda m: m.group() + "\\", s, count=1)


def code(value) -> str:
    """``str(value)`` as an inline code span (a path, a command): nothing is read inside one,
    backslashes included, so the fence is made longer than any run of backticks in it."""
    s = _CONTROL.sub(" ", str(value))
    fence = "`" * (max((len(run) for run in re.findall(r"`+", s)), default=0) + 1)
    pad = " " if s[:1] in ("`", " ") or s[-1:] in ("`", " ") else ""  # CommonMark strips one each side
    return f"{fence}{pad}{s}{pad}{fence}"
