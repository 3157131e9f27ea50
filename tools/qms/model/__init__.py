"""The model: ISO catalogues, the organization, controlled documents, records and their schemas, read from disk."""
