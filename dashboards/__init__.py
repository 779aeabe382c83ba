"""Dashboards of a place (city, district, street, community) for a period."""
