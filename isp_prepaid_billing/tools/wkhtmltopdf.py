# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Which wkhtmltopdf prints our PDF documents.

Only wkhtmltopdf built with its patched Qt (the 0.12.6.1 packages of
wkhtmltopdf.org, github.com/wkhtmltopdf/packaging) prints the separate header
and footer Odoo's layouts put the company, its address and the page numbers
in. Debian's package is built with the unpatched Qt: it ignores
``--header-html`` and ``--footer-html`` and the PDF has neither.
"""

import functools
import subprocess

from odoo.tools.misc import find_in_path


@functools.cache
def has_patched_qt():
    """Whether the wkhtmltopdf on the path prints headers and footers
    (``wkhtmltopdf --version`` says "with patched qt"). Asked once per process."""
    try:
        binary = find_in_path("wkhtmltopdf")
    except OSError:
        return False
    if not binary:
        return False
    try:
        version = subprocess.run(
            [binary, "--version"], capture_output=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return b"with patched qt" in version.lower()
