"""Open Tally: turns Frictionless Data Packages and Markdown commentary into a static transparency site.

The build runs in stages, each a module with one job:
``load`` reads packages from disk, ``validate`` checks them and returns a report.
"""

__version__ = "0.1.0"
