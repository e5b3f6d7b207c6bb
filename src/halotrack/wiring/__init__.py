"""The top of the library: from settings to working objects, and the offline demo.

Why a layer of its own: building a client, a store or a token provider from `Settings`
needs every lower package at once (the stored sign-in from `auth`, the simulator for the
demo, the page from `report`). Keeping that here lets those packages stay ignorant of each
other; the CLI calls into this layer and the use cases.
"""
