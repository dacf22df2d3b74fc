"""A PDF page as its reader knows it: rendered, with a cited passage's boxes drawn on it.

`matching` finds a passage among a page's characters, `render` lays the page out and
renders it with PDFium, `png` encodes the image, `sandbox` runs it all in a bounded child
process (what the web calls).
"""
