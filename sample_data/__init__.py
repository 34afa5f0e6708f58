"""The sample catalog loaded by `sheetsync init --sample`; installed as sheetsync.sample_data."""
