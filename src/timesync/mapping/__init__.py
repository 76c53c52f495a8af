"""Declarative, bidirectional mapping between Intacct records and timesync models."""
