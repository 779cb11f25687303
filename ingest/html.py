"""Main-content extraction for HTML pages, with trafilatura."""

from __future__ import annotations


def extract_main_text(html: str) -> str:
    """The readable main text of an HTML page ("" when none is found).

    Navigation, footers and scripts are dropped; paragraphs are separated by a
    blank line and list items keep their own lines, as in the captured pages.
    """
    import trafilatura

    text = trafilatura.extract(
        html,
        output_format="txt",
        include_comments=False,
        include_tables=True,
        include_links=False,
        include_images=False,
        favor_precision=True,
        deduplicate=False,
    )
    if not text:
        return ""
    # trafilatura separates blocks with single newlines; the corpus uses a blank line between paragraphs.
    lines = [line.rstrip() for line in text.splitlines()]
    paragraphs = []
    for line in lines:
        if not line.strip():
            continue
        if paragraphs and line.lstrip().startswith(("- ", "• ")) and paragraphs[-1].lstrip().startswith(("- ", "• ")):
            paragraphs[-1] += "\n" + line
        else:
            paragraphs.append(line)
    return "\n\n".join(paragraphs) + "\n"
