"""每月一题: the city's theme of the month and the complaints that match it."""
