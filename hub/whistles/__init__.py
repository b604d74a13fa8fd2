"""Whistles (吹哨报到): a street office summons departments, which must report on site."""

from hub.cases.access import grant_reach
from hub.whistles.access import SUMMONS_REACH

# Cases sit below whistles and do not import them: the case a whistle is blown on is read by the
# departments it summons through this reach, granted wherever whistles are loaded.
grant_reach("whistles", SUMMONS_REACH)
