"""Cohort files scored in bounded memory: chunked streaming, or Dask for Parquet folders."""
