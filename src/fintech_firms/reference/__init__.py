"""Reference data: the packaged tables (tracks, regions, top-tier investors) that a raw folder may
replace, and the matchers built on them (cities to regions, tracks to technology classes)."""
