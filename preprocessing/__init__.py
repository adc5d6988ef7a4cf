"""Pure page-image functions: image in, image and measurements out.

No disk, no database, no model loading. The pipeline calls :func:`analyze_page` once per page,
then :func:`field_crops` for the recognisers and :func:`entry_crop` for people and PDFs.
"""

from preprocessing.analyze import analysis_grey, analyze_page
from preprocessing.clean import binarize, normalize_background, remove_ruling, to_grey
from preprocessing.colfit import fit_columns
from preprocessing.columns import ColumnMap, map_columns
from preprocessing.consensus import prior_of
from preprocessing.crops import entry_crop, field_crops, warp_quad
from preprocessing.entries import Segmentation, segment
from preprocessing.grid import find_grid
from preprocessing.layout import (
    ColumnGeometry,
    EntryLayout,
    FieldBox,
    Grid,
    PageLayout,
    RuledLine,
    SkippedRow,
)
from preprocessing.orientation import detect_orientation
from preprocessing.overlay import draw_overlay
from preprocessing.skew import deskew, estimate_skew

__all__ = [
    "ColumnGeometry",
    "ColumnMap",
    "EntryLayout",
    "FieldBox",
    "Grid",
    "PageLayout",
    "RuledLine",
    "Segmentation",
    "SkippedRow",
    "analysis_grey",
    "analyze_page",
    "binarize",
    "deskew",
    "detect_orientation",
    "draw_overlay",
    "entry_crop",
    "estimate_skew",
    "field_crops",
    "find_grid",
    "fit_columns",
    "map_columns",
    "normalize_background",
    "prior_of",
    "remove_ruling",
    "segment",
    "to_grey",
    "warp_quad",
]
