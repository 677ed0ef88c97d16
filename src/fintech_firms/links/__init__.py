"""Checking and correcting the links of names to firms: the review queue and the evaluation against
labelled names (docs/linking.md). Reads the data folder that `firms ingest` writes; never imports
ingest/, whose links.csv reader applies the decisions made here."""
