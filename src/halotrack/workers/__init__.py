"""Distributed tracking for a community instance: procrastinate workers on PostgreSQL.

Why: one `halotrack track` process serves a player and friends; thousands of players need
several processes on several machines that share one API budget (`pacing`), lose nothing
when one dies, and use a real job queue, not a home-made one (`jobs`).
"""
