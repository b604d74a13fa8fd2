"""Departments and the category tree."""
