"""News metadata, read at indexing and shown or filtered at question time: dates (Gregorian and Hijri), outlets, titles
and bylines. Exports Meta, extract, values, META_VERSION and the date/outlet helpers below."""
from rag.meta.dates import PRECISIONS, date_range, filter_day, find_dates, parse_date_value, shown_date
from rag.meta.gregorian import MONTHS, Found
from rag.meta.header import HEADER_LINES, META_VERSION, Meta, extract, is_caption, split_front_matter, values
from rag.meta.hijri import HIJRI_MONTHS
from rag.meta.outlets import AGENCIES, OUTLETS, canonical_outlet, outlet_key

__all__ = ["AGENCIES", "HEADER_LINES", "HIJRI_MONTHS", "META_VERSION", "MONTHS", "Found", "Meta", "OUTLETS",
           "PRECISIONS", "canonical_outlet", "date_range", "extract", "filter_day", "find_dates", "is_caption",
           "outlet_key", "parse_date_value", "shown_date", "split_front_matter", "values"]
