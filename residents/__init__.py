"""Residency: declarations verified by the clerk, the household register, moving in and out,
resident units (驻区单位) with committee seats, and the street's staff roles page."""
