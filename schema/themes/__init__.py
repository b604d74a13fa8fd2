"""每月一题 in the graph: themes of the month, their cases and figures."""
