"""Main-content extraction for HTML pages, with trafilatura."""

from __future__ import annotations

# Plain text of the main content only: no comments, links or images; tables kept; precision over recall,
# so navigation and "related articles" boxes stay out; repeated paragraphs kept, since a page may repeat one.
EXTRACTION_OPTIONS = {
    "output_format": "txt",
    "include_comments": False,
    "include_tables": True,
    "include_links": False,
    "include_images": False,
    "favor_precision": True,
    "deduplicate": False,
}


def extract_main_text(html: str) -> str:
    """The readable main text of an HTML page ("" when none is found).

    Navigation, footers and scripts are dropped; paragraphs are separated by a
    blank line and list items keep their own lines, as in the captured pages.
    """
    import trafilatura

    text = trafilatura.extract(html, **EXTRACTION_OPTIONS)
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
