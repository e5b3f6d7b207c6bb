"""Typed models of Waypoint responses and the names behind their numbers. Pure data, no I/O."""
